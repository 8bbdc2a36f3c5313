package bolttest_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/cqlive/alliance/services/kit/boltdb/bolttest"
)

func TestCopyWritesTheSameBytesOrFails(t *testing.T) {
	for _, c := range []struct {
		name     string
		source   []byte // nil: there is no source file
		existing []byte // what the target holds before; nil: no target
		into     string // the target's folder below the test's, "" for the folder itself
		wantFail bool
	}{
		{name: "a new file gets the source's bytes", source: []byte("page\x00one\xff")},
		{name: "an existing file is replaced, not appended to", source: []byte("new"), existing: []byte("older and longer")},
		{name: "an empty source makes an empty file", source: []byte{}},
		{name: "a missing source fails", wantFail: true},
		{name: "a target folder that does not exist fails", source: []byte("x"), into: "no-such-folder", wantFail: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			from, to := filepath.Join(dir, "from.db"), filepath.Join(dir, c.into, "to.db")
			if c.source != nil {
				if err := os.WriteFile(from, c.source, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if c.existing != nil {
				if err := os.WriteFile(to, c.existing, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			msg := run(t, func(tb testing.TB) { bolttest.Copy(tb, from, to) })
			if got := msg != ""; got != c.wantFail {
				t.Fatalf("failed %v (%q), want %v", got, msg, c.wantFail)
			}
			if c.wantFail {
				return
			}
			got, err := os.ReadFile(to)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(c.source) {
				t.Fatalf("the copy holds %q, want %q", got, c.source)
			}
			fi, err := os.Stat(to)
			if err != nil {
				t.Fatal(err)
			}
			if c.existing == nil && fi.Mode().Perm() != 0o600 {
				t.Fatalf("the new copy's mode is %v, want 0600", fi.Mode().Perm())
			}
		})
	}
}

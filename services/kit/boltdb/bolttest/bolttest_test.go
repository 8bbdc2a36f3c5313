package bolttest_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/cqlive/alliance/services/kit/boltdb"
	"github.com/cqlive/alliance/services/kit/boltdb/bolttest"
	bolt "go.etcd.io/bbolt"
)

// fatals records a helper's Fatal instead of failing the test that
// checks the helper.
type fatals struct {
	testing.TB
	msg string
}

func (f *fatals) Helper() {}
func (f *fatals) Fatal(args ...any) {
	f.msg = fmt.Sprint(args...)
	runtime.Goexit()
}

func run(t *testing.T, f func(tb testing.TB)) string {
	rec := &fatals{TB: t}
	done := make(chan struct{})
	go func() { defer close(done); f(rec) }()
	<-done
	return rec.msg
}

type file struct{ db *bolt.DB }

func (f file) Close() error { return f.db.Close() }

// openFile opens path and, unless value is empty, stores it.
func openFile(path, value string) (file, error) {
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil || value == "" {
		return file{db}, err
	}
	return file{db}, db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists([]byte("meta"))
		if err != nil {
			return err
		}
		return b.Put([]byte("opened"), []byte(value))
	})
}

func TestReopenFailsWhenASecondOpenChangesTheFile(t *testing.T) {
	for _, c := range []struct {
		name     string
		rewrite  string // what the second open writes
		wantFail bool
	}{
		{name: "an open that writes nothing passes, and gives the reopened store"},
		{name: "an open that writes a value again passes", rewrite: "first"},
		{name: "an open that changes a value fails", rewrite: "second", wantFail: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "x.db")
			st, err := openFile(path, "first")
			if err != nil {
				t.Fatal(err)
			}
			var again file
			msg := run(t, func(tb testing.TB) {
				again = bolttest.Reopen(tb, st, func(f file) *bolt.DB { return f.db },
					func() (file, error) { return openFile(path, c.rewrite) })
			})
			if got := msg != ""; got != c.wantFail {
				t.Fatalf("failed %v (%q), want %v", got, msg, c.wantFail)
			}
			if !c.wantFail {
				if again.db == nil || again.db == st.db {
					t.Fatal("Reopen did not return the reopened store")
				}
				if err := again.Close(); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

func TestViewReadsAFileWithoutChangingIt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.db")
	st, err := openFile(path, "first")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	var got string
	bolttest.View(t, path, func(tx *bolt.Tx) error {
		got = string(tx.Bucket([]byte("meta")).Get([]byte("opened")))
		return nil
	})
	if got != "first" {
		t.Fatalf("read %q, want first", got)
	}
	msg := run(t, func(tb testing.TB) {
		bolttest.View(tb, path, func(tx *bolt.Tx) error { return tx.DeleteBucket([]byte("meta")) })
	})
	if msg == "" {
		t.Fatal("a write in View did not fail the test")
	}
	bolttest.View(t, path, func(tx *bolt.Tx) error {
		if tx.Bucket([]byte("meta")) == nil {
			t.Fatal("View changed the file")
		}
		return nil
	})
}

func TestSecretIsWhatBoltdbKeeps(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.db")
	db, err := boltdb.Open(path, boltdb.Schema{Version: 1}, boltdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want, err := boltdb.Secret(db, "page-token")
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if got := bolttest.Secret(t, path, "page-token"); !bytes.Equal(got, want) || len(got) != 32 {
		t.Fatalf("secret %x, want boltdb's %x", got, want)
	}
	if got := bolttest.Secret(t, path, "other"); got != nil {
		t.Fatalf("a secret never made reads %x", got)
	}
}

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

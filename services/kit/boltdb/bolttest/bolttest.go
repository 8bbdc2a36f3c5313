// Package bolttest holds what the stores' migration tests do with a bbolt
// file: copy a committed fixture (or any file) to work on, check that a
// file is sound, and dump its data to see that a reopen changes none of it.
package bolttest

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// Fixture copies the fixture file into a temporary folder of t, as name,
// and returns the copy's path: a migration rewrites the file it opens, and
// the committed fixture must stay as the old code wrote it.
func Fixture(t testing.TB, file, name string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	Copy(t, file, path)
	return path
}

// Copy writes the bytes of the file from as the file to (mode 0600,
// replacing what is there): a fixture, or a state a test returns a store
// to, copied before each open that may rewrite it.
func Copy(tb testing.TB, from, to string) {
	tb.Helper()
	raw, err := os.ReadFile(from)
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(to, raw, 0o600); err != nil {
		tb.Fatal(err)
	}
}

// Check fails t for every fault bbolt's consistency check finds in db.
func Check(t testing.TB, db *bolt.DB) {
	t.Helper()
	_ = db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() { // drain: Check stops when the channel is read to its end
			t.Errorf("tx.Check: %v", err)
		}
		return nil
	})
}

// Dump is every key and value of every top-level bucket, in order, for
// comparing the data of a file before and after a reopen.
func Dump(t testing.TB, db *bolt.DB) []byte {
	t.Helper()
	var buf bytes.Buffer
	err := db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			buf.Write(name)
			buf.WriteByte(0xff)
			return b.ForEach(func(k, v []byte) error {
				buf.Write(k)
				buf.WriteByte(0xfe)
				buf.Write(v)
				buf.WriteByte(0xfd)
				return nil
			})
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

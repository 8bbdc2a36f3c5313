package bolttest

import (
	"bytes"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// View reads the file at path as bbolt holds it, without a store and
// read-only: what a fixture holds before a migration rewrites it. An
// error of fn fails t.
func View(t testing.TB, path string, fn func(*bolt.Tx) error) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.View(fn); err != nil {
		t.Fatal(err)
	}
}

// Secret is the named secret of the file at path as boltdb.Secret keeps
// it, read with View: what a migration test reads before the migration,
// to see that the migrated file still has it (page tokens stay valid).
// nil if the file has none.
func Secret(t testing.TB, path, name string) []byte {
	t.Helper()
	var out []byte
	View(t, path, func(tx *bolt.Tx) error {
		if b := tx.Bucket([]byte("secrets")); b != nil {
			out = bytes.Clone(b.Get([]byte(name)))
		}
		return nil
	})
	return out
}

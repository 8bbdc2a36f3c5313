package bolttest

import (
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

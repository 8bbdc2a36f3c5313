package boltdb

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// openFresh opens a new file at schema 1 with the one bucket, closed when
// the test ends.
func openFresh(tb testing.TB, bucket string) *bolt.DB {
	tb.Helper()
	db, err := Open(filepath.Join(tb.TempDir(), "fresh.db"), Schema{Version: 1, Buckets: [][]byte{[]byte(bucket)}}, Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

func TestLockedFileFailsFast(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.db")
	db, err := Open(path, Schema{Version: 1}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	start := time.Now()
	_, err = Open(path, Schema{Version: 1}, Options{LockTimeout: 300 * time.Millisecond})
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), path) {
		t.Fatalf("second open: %v; want ErrLocked naming %s", err, path)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("second open took %s", d)
	}
}

func TestSchemaVersion(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.db")
	v1 := Schema{Version: 1, Buckets: [][]byte{[]byte("a")}}
	db, err := Open(path, v1, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error { return tx.Bucket([]byte("a")).Put([]byte("k"), []byte("old")) }); err != nil {
		t.Fatal(err)
	}
	db.Close()

	t.Run("an older file is migrated", func(t *testing.T) {
		v2 := Schema{Version: 2, Buckets: [][]byte{[]byte("a")}, Migrations: []Migration{{From: 1, Run: func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("a")).Put([]byte("k"), []byte("migrated"))
		}}}}
		db, err := Open(path, v2, Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if v, _ := SchemaVersion(db); v != 2 {
			t.Fatalf("version = %d, want 2", v)
		}
		var got string
		_ = db.View(func(tx *bolt.Tx) error { got = string(tx.Bucket([]byte("a")).Get([]byte("k"))); return nil })
		if got != "migrated" {
			t.Fatalf("value = %q, the migration did not run", got)
		}
	})
	t.Run("a newer file is refused with a clear message", func(t *testing.T) {
		_, err := Open(path, v1, Options{})
		if err == nil || !strings.Contains(err.Error(), "newer") {
			t.Fatalf("open with an older binary: %v", err)
		}
	})
	t.Run("a missing migration is refused", func(t *testing.T) {
		_, err := Open(path, Schema{Version: 3}, Options{})
		if err == nil || !strings.Contains(err.Error(), "no migration from schema version 2") {
			t.Fatalf("open: %v", err)
		}
	})
}

func TestSecretIsStable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.db")
	db, err := Open(path, Schema{Version: 1}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := Secret(db, "k")
	db.Close()
	db, err = Open(path, Schema{Version: 1}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	b, _ := Secret(db, "k")
	if len(a) != 32 || string(a) != string(b) {
		t.Fatalf("secret changed across reopen or has wrong length: %x vs %x", a, b)
	}
}

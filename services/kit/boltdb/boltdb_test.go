package boltdb

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

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

// The freelist is not synced (as etcd runs bbolt): a commit writes no
// freelist pages, and open rebuilds the list from the file, so the pages a
// delete freed before a close are reused after it instead of growing the
// file.
func TestFreelistIsRebuiltOnOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.db")
	schema := Schema{Version: 1, Buckets: [][]byte{[]byte("a")}}
	fill := func(db *bolt.DB, put bool) {
		t.Helper()
		err := db.Update(func(tx *bolt.Tx) error {
			b := tx.Bucket([]byte("a"))
			for i := range 2000 {
				k := binary.BigEndian.AppendUint32(nil, uint32(i))
				if !put {
					if err := b.Delete(k); err != nil {
						return err
					}
					continue
				}
				if err := b.Put(k, make([]byte, 500)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	size := func() int64 {
		t.Helper()
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	var sizes []int64
	for round := range 4 {
		db, err := Open(path, schema, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !db.NoFreelistSync {
			t.Fatal("the freelist is synced")
		}
		if round > 0 && db.Stats().FreePageN == 0 {
			t.Fatalf("round %d: no free pages after open, though the last round deleted 2000 values", round)
		}
		fill(db, true)
		fill(db, false)
		if round%2 == 0 {
			// A crash: the file is left with no freelist on it.
			err = db.Close()
		} else {
			err = Close(db)
		}
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, size())
	}
	if sizes[3] > sizes[1] {
		t.Fatalf("file sizes over the rounds %v: the freed pages were not reused after a reopen", sizes)
	}
}

// Close writes the freelist that commits leave out, so that a clean
// restart reads it rather than walking the whole file; a file closed
// without it (as a crash leaves one) has none on it.
func TestCloseWritesTheFreelist(t *testing.T) {
	for _, tc := range []struct {
		name  string
		close func(*bolt.DB) error
		want  bool
	}{
		{"boltdb.Close writes it", Close, true},
		{"a commit alone does not", (*bolt.DB).Close, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "x.db")
			db, err := Open(path, Schema{Version: 1, Buckets: [][]byte{[]byte("a")}}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if err := db.Update(func(tx *bolt.Tx) error { return tx.Bucket([]byte("a")).Put([]byte("k"), []byte("v")) }); err != nil {
				t.Fatal(err)
			}
			if err := tc.close(db); err != nil {
				t.Fatal(err)
			}
			if got := freelistOnFile(t, path); got != tc.want {
				t.Fatalf("freelist on file = %v, want %v", got, tc.want)
			}
			if err := Close(db); err != nil {
				t.Fatalf("a second Close: %v, want none (bbolt's Close is idempotent)", err)
			}
		})
	}
}

// freelistOnFile reads the newer of bbolt's two meta pages: its freelist
// page id is all ones when no freelist was written.
func freelistOnFile(t *testing.T, path string) bool {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// A page header is 16 bytes; a meta page then holds magic, version,
	// page size, flags (4 each), the root bucket (16), the freelist page
	// id, the high-water page id and the transaction id (8 each).
	pageSize := int(binary.LittleEndian.Uint32(b[16+8:]))
	var freelist, txid uint64
	for _, off := range []int{0, pageSize} {
		m := b[off+16:]
		if id := binary.LittleEndian.Uint64(m[48:]); id >= txid {
			txid, freelist = id, binary.LittleEndian.Uint64(m[32:])
		}
	}
	return freelist != ^uint64(0)
}

// Package boltdb opens a service's bbolt file: with a lock timeout, so a
// second process on the same file fails fast instead of hanging, and with a
// schema version, so a binary never misreads a file of another schema.
package boltdb

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

var (
	metaBucket    = []byte("meta")
	schemaKey     = []byte("schema_version")
	secretsBucket = []byte("secrets")
)

// Migration moves a file from schema version From to From+1.
type Migration struct {
	From int
	Run  func(tx *bolt.Tx) error
}

// Schema describes a store: its current version, every bucket it uses
// (created on open), and the steps from older versions.
type Schema struct {
	Version    int
	Buckets    [][]byte
	Migrations []Migration
}

// Options for Open.
type Options struct {
	// LockTimeout bounds the wait for the file lock (default 2s).
	LockTimeout time.Duration
	// NoSync turns fsync off: only for benchmarks that say so.
	NoSync bool
	// Observe, when set, is told of every commit of the store's Committer
	// (the service's metrics: writes per commit, commit latency).
	Observe CommitObserver
}

// ErrLocked reports that another process holds the file.
var ErrLocked = errors.New("the file is locked by another process")

// Open opens (creating if needed) the bbolt file at path, checks or records
// its schema version, runs the migrations an older file needs, and creates
// the schema's buckets.
func Open(path string, schema Schema, o Options) (*bolt.DB, error) {
	if o.LockTimeout <= 0 {
		o.LockTimeout = 2 * time.Second
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: o.LockTimeout, NoSync: o.NoSync, FreelistType: bolt.FreelistMapType})
	if err != nil {
		if errors.Is(err, bolt.ErrTimeout) {
			return nil, fmt.Errorf("open %s: %w (waited %s; is another process using this data folder?)", path, ErrLocked, o.LockTimeout)
		}
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := db.Update(func(tx *bolt.Tx) error { return prepare(tx, schema) }); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return db, nil
}

func prepare(tx *bolt.Tx, schema Schema) error {
	meta, err := tx.CreateBucketIfNotExists(metaBucket)
	if err != nil {
		return err
	}
	version := 0
	if v := meta.Get(schemaKey); v != nil {
		version = int(binary.BigEndian.Uint64(v))
	} else if isNew(tx) {
		version = schema.Version // a brand-new file starts at the current schema
	}
	if version > schema.Version {
		return fmt.Errorf("the file has schema version %d, newer than the %d this binary knows; run a newer binary", version, schema.Version)
	}
	for version < schema.Version {
		step := findMigration(schema.Migrations, version)
		if step == nil {
			return fmt.Errorf("no migration from schema version %d to %d", version, version+1)
		}
		if err := step.Run(tx); err != nil {
			return fmt.Errorf("migrate schema %d -> %d: %w", version, version+1, err)
		}
		version++
	}
	for _, b := range append(schema.Buckets, secretsBucket) {
		if _, err := tx.CreateBucketIfNotExists(b); err != nil {
			return err
		}
	}
	return meta.Put(schemaKey, binary.BigEndian.AppendUint64(nil, uint64(version)))
}

// isNew reports whether the file holds nothing but the meta bucket.
func isNew(tx *bolt.Tx) bool {
	n := 0
	_ = tx.ForEach(func(name []byte, _ *bolt.Bucket) error { n++; return nil })
	return n <= 1
}

func findMigration(ms []Migration, from int) *Migration {
	for i := range ms {
		if ms[i].From == from {
			return &ms[i]
		}
	}
	return nil
}

// SchemaVersion reads the recorded schema version.
func SchemaVersion(db *bolt.DB) (int, error) {
	var v int
	err := db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(metaBucket)
		if b == nil || b.Get(schemaKey) == nil {
			return errors.New("no schema version recorded")
		}
		v = int(binary.BigEndian.Uint64(b.Get(schemaKey)))
		return nil
	})
	return v, err
}

// Secret returns the named random secret of this store, making it on first
// use. Page-token keys live here, so tokens survive a restart.
func Secret(db *bolt.DB, name string) ([]byte, error) {
	var out []byte
	err := db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(secretsBucket)
		if err != nil {
			return err
		}
		if v := b.Get([]byte(name)); v != nil {
			out = append([]byte(nil), v...)
			return nil
		}
		out = make([]byte, 32)
		if _, err := rand.Read(out); err != nil {
			return err
		}
		return b.Put([]byte(name), out)
	})
	return out, err
}

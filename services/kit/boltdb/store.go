package boltdb

import bolt "go.etcd.io/bbolt"

// Store is the thin layer between a bbolt file and a domain's Repo: the
// domain sees each transaction as its own Tx type T (made by wrap), and
// concurrent writes share commits through a Committer.
type Store[T any] struct {
	DB      *bolt.DB
	commits *Committer
	wrap    func(*bolt.Tx) T
}

// OpenStore opens (or creates) the file at path with schema, like Open.
func OpenStore[T any](path string, schema Schema, o Options, wrap func(*bolt.Tx) T) (*Store[T], error) {
	db, err := Open(path, schema, o)
	if err != nil {
		return nil, err
	}
	c := NewCommitter(db, 0)
	c.Observe = o.Observe
	return &Store[T]{DB: db, commits: c, wrap: wrap}, nil
}

// Close closes the file.
func (s *Store[T]) Close() error { return s.DB.Close() }

// View runs fn in a read transaction.
func (s *Store[T]) View(fn func(T) error) error {
	return s.DB.View(func(tx *bolt.Tx) error { return fn(s.wrap(tx)) })
}

// Update runs fn in a write transaction shared with concurrent writers; it
// returns once that transaction is durable, or with fn's error (and then
// nothing fn wrote is kept).
func (s *Store[T]) Update(fn func(T) error) error {
	return s.commits.Update(func(tx *bolt.Tx) error { return fn(s.wrap(tx)) })
}

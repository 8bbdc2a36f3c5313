//go:build !linux

package store

import bolt "go.etcd.io/bbolt"

// DropMappedPages does nothing outside Linux (see load_linux.go).
func (s *Store) DropMappedPages() error { return nil }

func (s *Store) dropMapped(*bolt.Tx) error { return nil }

//go:build !linux

package store

// DropMappedPages does nothing outside Linux (see load_linux.go).
func (s *Store) DropMappedPages() error { return nil }

package store

import (
	"syscall"

	bolt "go.etcd.io/bbolt"
)

// DropMappedPages takes the pages of the file that bbolt maps out of the
// process's resident set (madvise MADV_DONTNEED), once start-up has read
// what it needs: the reports are answered from the engine in memory, not
// from the file. The pages stay in the kernel's page cache, and a later
// read of the mapping faults them back in from there: bbolt maps the file
// read-only and shared and writes with pwrite, so nothing is lost. The
// call runs inside a read transaction, which holds bbolt's mmap lock, so
// no remap (a growing file) can move the mapping under it; and it advises
// only the part of the mapping the file's pages fill.
func (s *Store) DropMappedPages() error {
	return s.db.View(s.dropMapped)
}

// dropMapped is DropMappedPages inside the caller's transaction btx.
func (s *Store) dropMapped(btx *bolt.Tx) error {
	base, size := s.db.Info().Data, uintptr(btx.Size())
	if size == 0 {
		return nil
	}
	if _, _, errno := syscall.Syscall(syscall.SYS_MADVISE, base, size, syscall.MADV_DONTNEED); errno != 0 {
		return errno
	}
	return nil
}

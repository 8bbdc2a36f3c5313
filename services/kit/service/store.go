package service

import (
	"github.com/cqlive/alliance/services/kit/backup"
	"github.com/cqlive/alliance/services/kit/boltdb"
)

// Store is what a start-up needs of a service's store: snapshots for the
// backups, the file's named secrets, and closing.
type Store interface {
	backup.Source
	Secret(name string) ([]byte, error)
	Close() error
}

// OpenStore opens the service's file with open (the store package's
// Open), at DBPath with BoltOptions; the store closes when the server
// stops or the start-up is abandoned, and backs up
// alliance.admin.v1.Maintenance/Backup. It returns the store and the key
// of its page tokens (the file's "page-token" secret, so that tokens
// outlive a restart).
func OpenStore[S Store](b *Boot, open func(path string, o boltdb.Options) (S, error)) (S, []byte, error) {
	st, err := open(b.DBPath(), b.BoltOptions())
	if err != nil {
		return st, nil, err
	}
	b.OnClose(st.Close)
	b.Backups(st)
	key, err := st.Secret("page-token")
	return st, key, err
}

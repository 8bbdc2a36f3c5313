package boltdb

import (
	"path/filepath"
	"strings"
)

// LogPath is where a bbolt file's write-ahead log lives, if its store keeps
// one: beside it, named after it (sales.db -> sales.wal). The store that
// writes the log and the restore that replaces the file both need it.
func LogPath(dbPath string) string {
	return strings.TrimSuffix(dbPath, filepath.Ext(dbPath)) + ".wal"
}

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

// ImagePath is where a store keeps an image of what it built in memory
// from a bbolt file, if it keeps one: beside it, named after it (sales.db
// -> sales.image). It is a cache of the file, safe to delete; a restore
// that replaces the file deletes it.
func ImagePath(dbPath string) string {
	return strings.TrimSuffix(dbPath, filepath.Ext(dbPath)) + ".image"
}

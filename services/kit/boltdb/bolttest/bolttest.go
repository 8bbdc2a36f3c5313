// Package bolttest holds the checks that the stores' migration tests make
// on a bbolt file: that it is sound, and that a reopen changes no byte.
package bolttest

import (
	"bytes"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// Check fails t for every fault bbolt's consistency check finds in db.
func Check(t testing.TB, db *bolt.DB) {
	t.Helper()
	_ = db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() { // drain: Check stops when the channel is read to its end
			t.Errorf("tx.Check: %v", err)
		}
		return nil
	})
}

// Dump is every key and value of every top-level bucket, in order, for
// comparing the data of a file before and after a reopen.
func Dump(t testing.TB, db *bolt.DB) []byte {
	t.Helper()
	var buf bytes.Buffer
	err := db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			buf.Write(name)
			buf.WriteByte(0xff)
			return b.ForEach(func(k, v []byte) error {
				buf.Write(k)
				buf.WriteByte(0xfe)
				buf.Write(v)
				buf.WriteByte(0xfd)
				return nil
			})
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

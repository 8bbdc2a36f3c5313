package bolttest

import (
	"bytes"
	"io"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// Reopen closes st, opens its file again with open and fails t unless
// the data is what it was (Dump): a migration that has run must not run
// again, nor a second open rewrite anything. db gives a store's bbolt
// file. It returns the reopened store, for the caller to use and close.
func Reopen[S io.Closer](t testing.TB, st S, db func(S) *bolt.DB, open func() (S, error)) S {
	t.Helper()
	before := Dump(t, db(st))
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := open()
	if err != nil {
		t.Fatal(err)
	}
	if after := Dump(t, db(again)); !bytes.Equal(before, after) {
		_ = again.Close()
		t.Fatal("a second open changed the file's contents")
	}
	return again
}

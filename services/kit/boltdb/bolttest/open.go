package bolttest

import (
	"io"
	"path/filepath"
	"testing"

	"github.com/cqlive/alliance/services/kit/boltdb"
)

// Open opens a store with open on a new file, name, in a temporary folder
// of t, and closes it when the test ends: where every store test starts.
func Open[S io.Closer](t testing.TB, name string, open func(path string, o boltdb.Options) (S, error)) S {
	t.Helper()
	st, err := open(filepath.Join(t.TempDir(), name), boltdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

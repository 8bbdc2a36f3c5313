package boltdb_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cqlive/alliance/services/kit/boltdb"
	bolt "go.etcd.io/bbolt"
)

func TestRewriteConvertsEveryValueOrNone(t *testing.T) {
	errBad := errors.New("not a record")
	for _, c := range []struct {
		name    string
		convert func(k, v []byte) ([]byte, error)
		want    map[string]string
		wantErr error
	}{
		{name: "every value is replaced by its conversion, keys kept",
			convert: func(k, v []byte) ([]byte, error) { return []byte(string(k) + "=" + strings.ToUpper(string(v))), nil },
			want:    map[string]string{"a": "a=ONE", "b": "b=TWO", "c": "c=THREE"}},
		{name: "a value that does not convert stops it, and the transaction leaves every value as it was",
			convert: func(k, v []byte) ([]byte, error) {
				if string(k) == "b" {
					return nil, errBad
				}
				return []byte("new"), nil
			},
			want: map[string]string{"a": "one", "b": "two", "c": "three"}, wantErr: errBad},
	} {
		t.Run(c.name, func(t *testing.T) {
			db, err := bolt.Open(filepath.Join(t.TempDir(), "x.db"), 0o600, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			name := []byte("records")
			if err := db.Update(func(tx *bolt.Tx) error {
				b, err := tx.CreateBucket(name)
				for _, kv := range [][2]string{{"c", "three"}, {"a", "one"}, {"b", "two"}} {
					if err == nil {
						err = b.Put([]byte(kv[0]), []byte(kv[1]))
					}
				}
				return err
			}); err != nil {
				t.Fatal(err)
			}
			err = db.Update(func(tx *bolt.Tx) error { return boltdb.Rewrite(tx.Bucket(name), c.convert) })
			if !errors.Is(err, c.wantErr) {
				t.Fatalf("Rewrite: %v, want %v", err, c.wantErr)
			}
			got := map[string]string{}
			_ = db.View(func(tx *bolt.Tx) error {
				return tx.Bucket(name).ForEach(func(k, v []byte) error { got[string(k)] = string(v); return nil })
			})
			if len(got) != len(c.want) {
				t.Fatalf("values %v, want %v", got, c.want)
			}
			for k, v := range c.want {
				if got[k] != v {
					t.Fatalf("values %v, want %v", got, c.want)
				}
			}
		})
	}
}

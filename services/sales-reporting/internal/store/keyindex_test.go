package store

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"

	"github.com/cqlive/alliance/services/kit/boltdb"
	bolt "go.etcd.io/bbolt"
)

// TestKeyIndexIsASortedMap: keys put in random and in sorted runs, over
// many transactions, some of which roll back, read back exactly as a
// sorted map holds them: by Get, and in order by scan from any key and
// under any prefix, while the blocks stay within their size.
func TestKeyIndexIsASortedMap(t *testing.T) {
	db, err := boltdb.Open(filepath.Join(t.TempDir(), "k.db"), boltdb.Schema{Version: 1, Buckets: [][]byte{[]byte("k")}}, boltdb.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	want := map[string]uint64{}
	errRollback := fmt.Errorf("roll back")
	for round := range 60 {
		next := map[string]uint64{}
		err := db.Update(func(btx *bolt.Tx) error {
			x := newKeyIndex(btx.Bucket([]byte("k")))
			n := 1 + rng.IntN(3000)
			sorted := rng.IntN(2) == 0
			var keys []string
			for range n {
				k := fmt.Sprintf("p%d/%08d", rng.IntN(4), rng.IntN(1_000_000))
				if round%7 == 3 {
					k = fmt.Sprintf("p%d/%08d-%d", rng.IntN(4), 1_000_000+round, len(keys)) // past every key
				}
				keys = append(keys, k)
			}
			if sorted {
				slices.Sort(keys)
			}
			for _, k := range keys {
				v := rng.Uint64N(1 << 40)
				if err := x.Put([]byte(k), v); err != nil {
					return err
				}
				next[k] = v
				if got, ok, err := x.Get([]byte(k)); err != nil || !ok || got != v {
					return fmt.Errorf("get %s in the transaction that put it: %d %v %v", k, got, ok, err)
				}
			}
			if err := x.flush(); err != nil {
				return err
			}
			if round%5 == 4 {
				return errRollback
			}
			return nil
		})
		if err != nil && err != errRollback {
			t.Fatal(err)
		}
		if err == nil {
			for k, v := range next {
				want[k] = v
			}
		}
	}
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	err = db.View(func(btx *bolt.Tx) error {
		b := btx.Bucket([]byte("k"))
		if err := b.ForEach(func(k, v []byte) error {
			if len(v) > maxBlock {
				t.Errorf("block %q is %d bytes, more than %d", k, len(v), maxBlock)
			}
			return nil
		}); err != nil {
			return err
		}
		x := newKeyIndex(b)
		for _, k := range keys {
			if got, ok, err := x.Get([]byte(k)); err != nil || !ok || got != want[k] {
				t.Fatalf("get %s: %d %v %v, want %d", k, got, ok, err, want[k])
			}
		}
		if _, ok, _ := x.Get([]byte("p9/none")); ok {
			t.Fatal("a key never put is found")
		}
		for _, c := range []struct{ prefix, from string }{{"", ""}, {"p2/", ""}, {"p1/", "p1/00500000"}, {"", "p3/00999999"}, {"p0/", "p3"}} {
			var got []string
			if err := x.scan([]byte(c.prefix), []byte(c.from), func(k []byte, v uint64) (bool, error) {
				if v != want[string(k)] {
					t.Errorf("scan: %s = %d, want %d", k, v, want[string(k)])
				}
				got = append(got, string(k))
				return true, nil
			}); err != nil {
				return err
			}
			var exp []string
			for _, k := range keys {
				if bytes.HasPrefix([]byte(k), []byte(c.prefix)) && k >= c.from {
					exp = append(exp, k)
				}
			}
			if !slices.Equal(got, exp) {
				t.Fatalf("scan of prefix %q from %q: %d keys, want %d", c.prefix, c.from, len(got), len(exp))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

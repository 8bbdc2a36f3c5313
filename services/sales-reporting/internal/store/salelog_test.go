package store

import (
	"errors"
	"fmt"
	"testing"

	storev1 "github.com/cqlive/alliance/gen/pb/alliance/sales/store/v1"
	bolt "go.etcd.io/bbolt"
)

// The last sale block is kept decoded between commits; what a commit
// appends to is always the block on file: a transaction that rolls back
// after appending leaves the kept block as the file has it, and a write
// to the block by anything else (a migration, a plain transaction) is
// seen by the next commit.
func TestOpenBlockFollowsTheFile(t *testing.T) {
	st := open(t)
	var want []string // external ids of the stored sales, in id order
	appendSales := func(via *openBlock, n int, tag string, fail bool) {
		t.Helper()
		errRollback := errors.New("roll back")
		err := st.db.Update(func(btx *bolt.Tx) error {
			l := newSaleLog(btx.Bucket(bucketSaleBlocks))
			l.open = via
			first := uint64(len(want)) + 1
			recs := make([]*storev1.Sale, n)
			for i := range recs {
				recs[i] = &storev1.Sale{Platform: "DOUYIN", ExternalId: fmt.Sprintf("%s-%d", tag, i), Quantity: 1, Amount: 100, EventSeconds: int64(i)}
			}
			if err := l.append(first, "CNY", recs, 1_700_000_000+int64(len(want))); err != nil {
				return err
			}
			if fail {
				return errRollback
			}
			return nil
		})
		if fail {
			if !errors.Is(err, errRollback) {
				t.Fatalf("append %s: %v, want the rollback", tag, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("append %s: %v", tag, err)
		}
		for i := range n {
			want = append(want, fmt.Sprintf("%s-%d", tag, i))
		}
	}
	check := func(step string) {
		t.Helper()
		err := st.db.View(func(btx *bolt.Tx) error {
			l := newSaleLog(btx.Bucket(bucketSaleBlocks))
			for i, ext := range want {
				r, b, err := l.get(uint64(i) + 1)
				if err != nil {
					return err
				}
				if r == nil || r.GetExternalId() != ext {
					return fmt.Errorf("sale %d = %v, want %s", i+1, r, ext)
				}
				if got := b.GetBaseSeconds() + r.GetEventSeconds(); got < 1_700_000_000 {
					return fmt.Errorf("sale %d at %d: its time lost its base", i+1, got)
				}
			}
			r, _, err := l.get(uint64(len(want)) + 1)
			if err == nil && r != nil {
				return fmt.Errorf("sale %d = %v: a rolled-back sale is stored", len(want)+1, r)
			}
			return err
		})
		if err != nil {
			t.Fatalf("after %s: %v", step, err)
		}
	}
	// rewrite changes the external ids of the last block in place, as a
	// migration would: same ids, same count, other bytes.
	rewrite := func(tag string) {
		t.Helper()
		err := st.db.Update(func(btx *bolt.Tx) error {
			bk := btx.Bucket(bucketSaleBlocks)
			k, v := bk.Cursor().Last()
			b, err := unpackBlock(v)
			if err != nil {
				return err
			}
			for i, r := range b.GetSales() {
				r.ExternalId = fmt.Sprintf("%s-%d", tag, i)
				want[b.GetFirstId()-1+uint64(i)] = r.ExternalId
			}
			nv, err := packBlock(b)
			if err != nil {
				return err
			}
			return bk.Put(k, nv)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, step := range []struct {
		name string
		via  *openBlock
		n    int
		fail bool
	}{
		{"a first commit", &st.open, 10, false},
		{"a commit on the kept block", &st.open, 7, false},
		{"a commit that rolls back", &st.open, 5, true},
		{"the commit after the rollback", &st.open, 6, false},
		{"a write by another path", nil, 4, false},
		{"the commit after it", &st.open, 3, false},
		{"a rewrite of the last block by another path", nil, 0, false},
		{"the commit after the rewrite", &st.open, 3, false},
		{"commits that seal blocks", &st.open, 400, false},
		{"and one after the seal", &st.open, 2, false},
	} {
		if step.n == 0 {
			rewrite(step.name)
		} else {
			appendSales(step.via, step.n, step.name, step.fail)
		}
		check(step.name)
	}
}

// A kept block is handed out once, and only for the bytes it was stored
// as: otherwise every commit decodes the block again.
func TestOpenBlockIsTakenOnceForItsBytes(t *testing.T) {
	b := &storev1.SaleBlock{FirstId: 7}
	v := []byte("stored")
	var o openBlock
	for _, tc := range []struct {
		name  string
		keep  bool
		first uint64
		v     []byte
		want  *storev1.SaleBlock
	}{
		{"the kept block, for its bytes", true, 7, v, b},
		{"taken already", false, 7, v, nil},
		{"other bytes", true, 7, []byte("other!"), nil},
		{"and after them, none", false, 7, v, nil},
		{"another first id", true, 8, v, nil},
	} {
		if tc.keep {
			o.keep(7, v, b)
		}
		if got := o.take(tc.first, tc.v); got != tc.want {
			t.Errorf("%s: take = %v, want %v", tc.name, got, tc.want)
		}
	}
}

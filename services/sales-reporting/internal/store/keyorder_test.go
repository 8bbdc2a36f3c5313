package store

import (
	"bytes"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/cqlive/alliance/services/sales-reporting/internal/ingest"
)

// newKeysTx is a transaction holding n new sales of the replay's shape:
// sessions one after another on their platforms, their orders and now and
// then a refund ("s-o9" sorts after "s-o10").
func newKeysTx(n int) *tx {
	t := &tx{newKeys: map[string]uint64{}}
	r := rand.New(rand.NewPCG(5, 8))
	session, line := 0, 0
	for i := range n {
		if r.IntN(40) == 0 {
			session, line = session+1+r.IntN(500), 0
		}
		platform := []string{"DOUYIN", "KUAISHOU", "TAOBAO"}[session%3]
		ext := fmt.Sprintf("s2020-%06d-o%d", session, line)
		if r.IntN(10) == 0 {
			ext = fmt.Sprintf("s2020-%06d-r%d", session, line)
		}
		line++
		s := &ingest.Sale{ID: uint64(1000 + i), Platform: platform, ExternalID: ext}
		if _, ok := t.newKeys[string(saleKey(platform, ext))]; ok {
			continue
		}
		t.newSales = append(t.newSales, s)
		t.newKeys[string(saleKey(platform, ext))] = s.ID
	}
	return t
}

// mapOrder is what flushKeysAndCells put before sortedNewKeys: the map's
// keys, sorted, with their values.
func mapOrder(keys map[string]uint64) []kv {
	var out []kv
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		out = append(out, kv{key: []byte(k), val: keys[k]})
	}
	return out
}

func sameKVs(t *testing.T, what string, got, want []kv) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d keys, want %d", what, len(got), len(want))
	}
	for i := range got {
		if !bytes.Equal(got[i].key, want[i].key) || got[i].val != want[i].val {
			t.Fatalf("%s: key %d is %q=%d, want %q=%d", what, i, got[i].key, got[i].val, want[i].key, want[i].val)
		}
	}
}

// The new keys read from the new sales are the map's, in the same order
// with the same values; so they are when the sales came sorted, and when
// a key was put twice (the map holds its last id).
func TestSortedNewKeysAreTheMapsInOrder(t *testing.T) {
	tx := newKeysTx(5000)
	sameKVs(t, "the replay's order", tx.sortedNewKeys(), mapOrder(tx.newKeys))

	slices.SortFunc(tx.newSales, func(a, b *ingest.Sale) int {
		return bytes.Compare(saleKey(a.Platform, a.ExternalID), saleKey(b.Platform, b.ExternalID))
	})
	for i, s := range tx.newSales {
		s.ID = uint64(1 + i)
		tx.newKeys[string(saleKey(s.Platform, s.ExternalID))] = s.ID
	}
	sameKVs(t, "sorted", tx.sortedNewKeys(), mapOrder(tx.newKeys))

	again := *tx.newSales[7]
	again.ID = uint64(len(tx.newSales) + 1)
	tx.newSales = append(tx.newSales, &again)
	tx.newKeys[string(saleKey(again.Platform, again.ExternalID))] = again.ID
	got := tx.sortedNewKeys()
	sameKVs(t, "a key put twice", got, mapOrder(tx.newKeys))
	if got[7].val != again.ID {
		t.Fatalf("the key put twice has id %d, want the last, %d", got[7].val, again.ID)
	}
}

// ids answers what the dictionary and the transaction's new names answer,
// whatever the names asked before it, and refuses a name without a record
// even right after a hit on its partner.
func TestIDsAgreeWithTheDictionary(t *testing.T) {
	d := &dict{sessionIDs: map[string]uint32{"s1": 1, "s2": 2}, sessions: []string{"", "s1", "s2"},
		productIDs: map[string]uint32{"p1": 1, "p2": 2}, products: []string{"", "p1", "p2"}}
	tx := &tx{st: &Store{dict: d}, pending: pendingNames{sessions: map[string]uint32{"s3": 3}, products: map[string]uint32{"p3": 3}}}
	want := map[string]uint32{"s1": 1, "s2": 2, "s3": 3, "p1": 1, "p2": 2, "p3": 3}
	r := rand.New(rand.NewPCG(1, 1))
	for range 2000 {
		s := []string{"s1", "s2", "s3", "s9"}[r.IntN(4)]
		p := []string{"p1", "p2", "p3", "p9"}[r.IntN(4)]
		sid, pid, err := tx.ids(s, p)
		switch {
		case s == "s9" || p == "p9":
			if err == nil {
				t.Fatalf("ids(%s, %s) = %d, %d: want a refusal", s, p, sid, pid)
			}
		case err != nil || sid != want[s] || pid != want[p]:
			t.Fatalf("ids(%s, %s) = %d, %d, %v; want %d, %d", s, p, sid, pid, err, want[s], want[p])
		}
	}
}

// BenchmarkNewKeys orders an import commit's 40,000 new keys, now
// (sortedNewKeys) and as flushKeysAndCells did before (mapOrder), in one
// run.
//
//	go test -run '^$' -bench NewKeys -count 6 ./internal/store/
func BenchmarkNewKeys(b *testing.B) {
	tx := newKeysTx(40000)
	b.Run("now", func(b *testing.B) {
		for range b.N {
			tx.sortedNewKeys()
		}
	})
	b.Run("before", func(b *testing.B) {
		for range b.N {
			mapOrder(tx.newKeys)
		}
	})
}

package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"

	storev1 "github.com/cqlive/alliance/gen/pb/alliance/sales/store/v1"
	bolt "go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"
)

// keyIndex is a sorted map of unique keys to uint64 values kept in one
// bucket as KeyBlocks: runs of front-coded keys, each value stored under the
// first key of its run. A key of bbolt costs 16 bytes of header besides
// itself; the keys of these indexes (an external id, an event time and a
// sale id) share long prefixes with their neighbours, so a run of a few
// hundred costs a few bytes a key. A block is rewritten whole when a key
// enters it, which is what a page of bbolt costs anyway.
//
// Keys put in a write transaction are held until flush merges them into
// their blocks, sorted, and writes the changed blocks, split to at most
// maxBlock bytes each.
type keyIndex struct {
	b      *bolt.Bucket
	blocks map[string]*keyBlock // by the key they are stored under
	// fresh is the one block of a bucket that had none.
	fresh *keyBlock
	// pending are the keys put since the last flush, in key order while
	// sorted is true (the callers put them in order).
	pending []kv
	sorted  bool
	// last is the block the last lookup found, and where its range ends
	// (lastUpper, nil for none): lookups of nearby keys skip the seek.
	last      *keyBlock
	lastUpper []byte
}

// maxKey bounds a key of these indexes as a block holds it: an external
// id (at most 128 bytes) with its platform, or a listing key; beyond it a
// block is damaged.
const maxKey = 1 << 12

// maxBlock bounds a KeyBlock's encoding, so that a block, its key (up to
// some 150 bytes) and bbolt's headers fit in one 4 KiB page.
const maxBlock = 3800

type kv struct {
	key []byte
	val uint64
}

type keyBlock struct {
	stored  string // the bbolt key it is stored under; "" when new
	entries []kv
	dirty   bool
}

func newKeyIndex(b *bolt.Bucket) *keyIndex {
	return &keyIndex{b: b, blocks: map[string]*keyBlock{}, sorted: true}
}

// locate returns the block whose range holds key: the one stored under the
// greatest key <= key, or the first block when key precedes them all.
func (x *keyIndex) locate(key []byte) (*keyBlock, error) {
	blk, _, err := x.locateUpper(key)
	return blk, err
}

// locateUpper is locate, and the key the next block is stored under (nil
// for none).
func (x *keyIndex) locateUpper(key []byte) (*keyBlock, []byte, error) {
	if l := x.last; l != nil && l.stored <= string(key) && (x.lastUpper == nil || bytes.Compare(key, x.lastUpper) < 0) {
		return l, x.lastUpper, nil
	}
	c := x.b.Cursor()
	k, v := c.Seek(key)
	switch {
	case k == nil:
		k, v = c.Last()
	case !bytes.Equal(k, key):
		if pk, pv := c.Prev(); pk != nil {
			k, v = pk, pv
		} else {
			k, v = c.First()
		}
	}
	var upper []byte
	if k != nil {
		nk, _ := c.Next()
		upper = bytes.Clone(nk)
	}
	if k == nil {
		return x.fresh, nil, nil
	}
	if blk := x.blocks[string(k)]; blk != nil {
		x.last, x.lastUpper = blk, upper
		return blk, upper, nil
	}
	entries, err := decodeKeyBlock(v)
	if err != nil {
		return nil, nil, fmt.Errorf("key block %q: %w", k, err)
	}
	blk := &keyBlock{stored: string(k), entries: entries}
	x.blocks[blk.stored] = blk
	x.last, x.lastUpper = blk, upper
	return blk, upper, nil
}

// Get returns the value of key.
func (x *keyIndex) Get(key []byte) (uint64, bool, error) {
	x.sortPending()
	if i, ok := slices.BinarySearchFunc(x.pending, key, func(e kv, k []byte) int { return bytes.Compare(e.key, k) }); ok {
		return x.pending[i].val, true, nil
	}
	blk, err := x.locate(key)
	if err != nil || blk == nil {
		return 0, false, err
	}
	i, ok := slices.BinarySearchFunc(blk.entries, key, func(e kv, k []byte) int { return bytes.Compare(e.key, k) })
	if !ok {
		return 0, false, nil
	}
	return blk.entries[i].val, true, nil
}

// Put sets key to val; flush writes it. Keys put in order cost least.
// The index keeps key: the caller must not change it.
func (x *keyIndex) Put(key []byte, val uint64) error {
	if n := len(x.pending); n > 0 && bytes.Compare(key, x.pending[n-1].key) <= 0 {
		x.sorted = false
	}
	x.pending = append(x.pending, kv{key: key, val: val})
	return nil
}

// sortPending puts the pending keys in order; of a key put twice, the
// last value stays.
func (x *keyIndex) sortPending() {
	if x.sorted {
		return
	}
	slices.SortStableFunc(x.pending, func(a, b kv) int { return bytes.Compare(a.key, b.key) })
	out := x.pending[:0]
	for i, e := range x.pending {
		if i+1 < len(x.pending) && bytes.Equal(e.key, x.pending[i+1].key) {
			continue
		}
		out = append(out, e)
	}
	x.pending, x.sorted = out, true
}

// flush merges the keys put into their blocks and writes every changed
// block, cut into runs of at most maxBlock bytes, in key order (bbolt
// appends cheaply, and inserts in order cheaply).
func (x *keyIndex) flush() error {
	x.sortPending()
	keys := x.pending
	var dirty []*keyBlock
	for len(keys) > 0 {
		blk, upper, err := x.locateUpper(keys[0].key)
		if err != nil {
			return err
		}
		if blk == nil {
			blk = &keyBlock{}
			x.fresh = blk
		}
		n := len(keys)
		if upper != nil {
			n, _ = slices.BinarySearchFunc(keys, upper, func(e kv, k []byte) int { return bytes.Compare(e.key, k) })
		}
		blk.entries = merge(blk.entries, keys[:n])
		if !blk.dirty {
			blk.dirty = true
			dirty = append(dirty, blk)
		}
		keys = keys[n:]
	}
	for _, blk := range dirty {
		runs := encodeKeyRuns(blk.entries)
		if blk.stored != "" && string(runs[0].first) != blk.stored {
			if err := x.b.Delete([]byte(blk.stored)); err != nil {
				return err
			}
		}
		for _, r := range runs {
			if err := x.b.Put(r.first, r.value); err != nil {
				return err
			}
		}
	}
	clear(x.blocks)
	x.pending, x.sorted = nil, true
	x.fresh, x.last, x.lastUpper = nil, nil, nil
	return nil
}

// merge adds the sorted keys to the sorted entries; a key already there
// takes its new value.
func merge(entries, keys []kv) []kv {
	if len(entries) == 0 {
		return slices.Clone(keys)
	}
	if bytes.Compare(keys[0].key, entries[len(entries)-1].key) > 0 {
		return append(entries, keys...)
	}
	out := make([]kv, 0, len(entries)+len(keys))
	i := 0
	for _, k := range keys {
		for i < len(entries) && bytes.Compare(entries[i].key, k.key) < 0 {
			out = append(out, entries[i])
			i++
		}
		if i < len(entries) && bytes.Equal(entries[i].key, k.key) {
			i++
		}
		out = append(out, k)
	}
	return append(out, entries[i:]...)
}

type keyRun struct {
	first []byte
	value []byte
}

// encodeKeyRuns front-codes entries into KeyBlocks of at most maxBlock bytes.
func encodeKeyRuns(entries []kv) []keyRun {
	var runs []keyRun
	var buf []byte
	var first, prev []byte
	n := 0
	emit := func() {
		v, _ := proto.MarshalOptions{Deterministic: true}.Marshal(&storev1.KeyBlock{Count: uint32(n), Entries: buf})
		runs = append(runs, keyRun{first: first, value: v})
		buf, n, prev = nil, 0, nil
	}
	for _, e := range entries {
		shared := commonPrefix(prev, e.key)
		size := uvarintLen(uint64(shared)) + uvarintLen(uint64(len(e.key)-shared)) + len(e.key) - shared + uvarintLen(e.val)
		if n > 0 && len(buf)+size > maxBlock-16 {
			emit()
			shared = 0
		}
		if n == 0 {
			first = e.key
		}
		buf = binary.AppendUvarint(buf, uint64(shared))
		buf = binary.AppendUvarint(buf, uint64(len(e.key)-shared))
		buf = append(buf, e.key[shared:]...)
		buf = binary.AppendUvarint(buf, e.val)
		prev = e.key
		n++
	}
	if n > 0 {
		emit()
	}
	return runs
}

func decodeKeyBlock(v []byte) ([]kv, error) {
	var kb storev1.KeyBlock
	if err := proto.Unmarshal(v, &kb); err != nil {
		return nil, err
	}
	b := kb.GetEntries()
	// One arena for every key of the block, sized by a first pass that
	// checks the block as the second reads it: two allocations, not one a
	// key, and none sized by a count a damaged block could make up.
	size, count, prevLen := 0, 0, uint64(0)
	for r := b; len(r) > 0; count++ {
		shared, n1 := binary.Uvarint(r)
		if n1 <= 0 {
			return nil, errCorrupt
		}
		rest, n2 := binary.Uvarint(r[n1:])
		if n2 <= 0 || rest > uint64(len(r)-n1-n2) || shared > prevLen || shared+rest > maxKey {
			return nil, errCorrupt
		}
		r = r[n1+n2+int(rest):]
		_, n3 := binary.Uvarint(r)
		if n3 <= 0 {
			return nil, errCorrupt
		}
		r = r[n3:]
		prevLen = shared + rest
		size += int(prevLen)
	}
	if uint32(count) != kb.GetCount() {
		return nil, errCorrupt
	}
	out := make([]kv, 0, count)
	arena := make([]byte, 0, size)
	var prev []byte
	for len(b) > 0 {
		shared, n1 := binary.Uvarint(b)
		if n1 <= 0 {
			return nil, errCorrupt
		}
		b = b[n1:]
		rest, n2 := binary.Uvarint(b)
		if n2 <= 0 || rest > uint64(len(b)-n2) || shared > uint64(len(prev)) {
			return nil, errCorrupt
		}
		b = b[n2:]
		start := len(arena)
		arena = append(arena, prev[:shared]...)
		arena = append(arena, b[:rest]...)
		b = b[rest:]
		val, n3 := binary.Uvarint(b)
		if n3 <= 0 {
			return nil, errCorrupt
		}
		b = b[n3:]
		key := arena[start:len(arena):len(arena)]
		out = append(out, kv{key: key, val: val})
		prev = key
	}
	if uint32(len(out)) != kb.GetCount() {
		return nil, errCorrupt
	}
	return out, nil
}

// scan calls fn with every entry whose key is >= from and starts with
// prefix, in key order, until fn returns false.
func (x *keyIndex) scan(prefix, from []byte, fn func(key []byte, val uint64) (bool, error)) error {
	if bytes.Compare(from, prefix) < 0 {
		from = prefix
	}
	blk, err := x.locate(from)
	if err != nil || blk == nil {
		return err
	}
	c := x.b.Cursor()
	k, _ := c.Seek([]byte(blk.stored))
	for {
		i, _ := slices.BinarySearchFunc(blk.entries, from, func(e kv, k []byte) int { return bytes.Compare(e.key, k) })
		for _, e := range blk.entries[i:] {
			if !bytes.HasPrefix(e.key, prefix) {
				if bytes.Compare(e.key, prefix) > 0 {
					return nil
				}
				continue
			}
			more, err := fn(e.key, e.val)
			if err != nil || !more {
				return err
			}
		}
		if k == nil {
			return nil
		}
		var v []byte
		if k, v = c.Next(); k == nil {
			return nil
		}
		if len(prefix) > 0 && bytes.Compare(k, prefix) > 0 && !bytes.HasPrefix(k, prefix) {
			return nil
		}
		entries, err := decodeKeyBlock(v)
		if err != nil {
			return fmt.Errorf("key block %q: %w", k, err)
		}
		blk = &keyBlock{stored: string(k), entries: entries}
	}
}

func commonPrefix(a, b []byte) int {
	n := min(len(a), len(b))
	for i := range n {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

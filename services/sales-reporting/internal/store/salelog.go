package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"sync"

	storev1 "github.com/cqlive/alliance/gen/pb/alliance/sales/store/v1"
	"github.com/klauspost/compress/zstd"
	bolt "go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"
)

// The sales are a log of SaleBlocks in bucket sale_blocks, keyed by the id
// of their first sale: ids only grow, so a commit appends to the last
// block, and seals it (starts another) once its compressed form would pass
// maxSaleBlock. A sale is found by its id with one seek.
//
// A block of sales of one session compresses well (the session, the
// product, the currency and the prefix of the external ids repeat), which
// is most of why a sale costs tens of bytes in the file rather than
// hundreds.

// maxSaleBlock bounds the stored form of a block: with its key and bbolt's
// headers, one 4 KiB page.
const maxSaleBlock = 3900

// zenc is zstd's fastest level: a block of one session's sales
// compresses as well there as at the default level (the first 2,000
// blocks of the replay held 382 sales each at the fastest and 379 at the
// default), and compressing was a third of packing the blocks, which is a
// seventh of an import's CPU.
var (
	zenc, _ = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1), zstd.WithLowerEncoderMem(true))
	zdec, _ = zstd.NewReader(nil, zstd.WithDecoderConcurrency(0))
)

// unpackBlock reads a stored block, as blockRecords.block writes it.
func unpackBlock(v []byte) (*storev1.SaleBlock, error) {
	var p storev1.Packed
	if err := proto.Unmarshal(v, &p); err != nil {
		return nil, err
	}
	raw := p.GetData()
	switch p.GetCompression() {
	case storev1.Compression_COMPRESSION_NONE:
	case storev1.Compression_COMPRESSION_ZSTD:
		var err error
		if raw, err = zdec.DecodeAll(raw, nil); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("compression %v: %w", p.GetCompression(), errCorrupt)
	}
	var b storev1.SaleBlock
	if err := proto.Unmarshal(raw, &b); err != nil {
		return nil, err
	}
	return &b, nil
}

// saleLog is the sales bucket as one transaction sees it.
type saleLog struct {
	b *bolt.Bucket
	// blocks decoded in this transaction, by first id.
	blocks map[uint64]*storev1.SaleBlock
	// perBlock is how many records the last full block held.
	perBlock int
	// open is the store's decoded last block, nil outside writes; wrote
	// is the last block this transaction put, which becomes open when
	// the transaction commits.
	open  *openBlock
	wrote openBlock
	// records are pack's, kept for its buffers: pack runs on one
	// goroutine at a time.
	records blockRecords
}

func newSaleLog(b *bolt.Bucket) *saleLog {
	return &saleLog{b: b, blocks: map[uint64]*storev1.SaleBlock{}}
}

// openBlock keeps the last sale block decoded between commits, with the
// bytes it was stored as: each commit appends to that block, and decoding
// it again from the file was half of what re-packing it cost. A commit
// takes the block only if the file's last block is still exactly those
// bytes (any other writer, a migration or a restore, changes them), and
// takes it away, so that a transaction that rolls back after changing it
// leaves nothing behind; the next commit then decodes the file's block.
type openBlock struct {
	mu     sync.Mutex
	first  uint64
	stored []byte
	block  *storev1.SaleBlock
}

// take returns the kept block if it is the one stored under first as v,
// and keeps nothing after.
func (o *openBlock) take(first uint64, v []byte) *storev1.SaleBlock {
	o.mu.Lock()
	defer o.mu.Unlock()
	b, stored := o.block, o.stored
	o.block, o.stored = nil, nil
	if b == nil || o.first != first || !bytes.Equal(stored, v) {
		return nil
	}
	return b
}

func (o *openBlock) keep(first uint64, v []byte, b *storev1.SaleBlock) {
	o.mu.Lock()
	o.first, o.stored, o.block = first, v, b
	o.mu.Unlock()
}

// block returns the block that holds id, or nil.
func (l *saleLog) block(id uint64) (*storev1.SaleBlock, error) {
	c := l.b.Cursor()
	k, v := c.Seek(u64(id))
	if k == nil || binary.BigEndian.Uint64(k) != id {
		k, v = c.Prev()
	}
	if k == nil {
		return nil, nil
	}
	first := binary.BigEndian.Uint64(k)
	if b := l.blocks[first]; b != nil {
		return b, nil
	}
	b, err := unpackBlock(v)
	if err != nil {
		return nil, fmt.Errorf("sale block %d: %w", first, err)
	}
	if b.GetFirstId() != first {
		return nil, fmt.Errorf("sale block %d holds first id %d: %w", first, b.GetFirstId(), errCorrupt)
	}
	l.blocks[first] = b
	return b, nil
}

// get returns the record of sale id and its block, or nil.
func (l *saleLog) get(id uint64) (*storev1.Sale, *storev1.SaleBlock, error) {
	b, err := l.block(id)
	if err != nil || b == nil {
		return nil, nil, err
	}
	i := id - b.GetFirstId()
	if i >= uint64(len(b.GetSales())) {
		return nil, nil, nil
	}
	return b.GetSales()[i], b, nil
}

// append adds records (with ids first, first+1, ...) after the last block,
// filling it before starting another.
func (l *saleLog) append(first uint64, currency string, recs []*storev1.Sale, base int64) error {
	a, err := l.startAppend(first, currency, recs, base)
	if err != nil {
		return err
	}
	a.pack()
	return a.put()
}

// saleAppend is an append in three steps: startAppend reads the last
// block, pack (which touches nothing of the transaction, so it may run on
// another goroutine beside other writes) cuts and compresses the blocks,
// and put stores them.
type saleAppend struct {
	l      *saleLog
	tail   *storev1.SaleBlock
	packed []packedBlock
	err    error
}

type packedBlock struct {
	first uint64
	v     []byte
}

func (l *saleLog) startAppend(first uint64, currency string, recs []*storev1.Sale, base int64) (*saleAppend, error) {
	var tail *storev1.SaleBlock
	if k, v := l.b.Cursor().Last(); k != nil && len(v) < maxSaleBlock*9/10 {
		var b *storev1.SaleBlock
		if l.open != nil {
			b = l.open.take(binary.BigEndian.Uint64(k), v)
		}
		if b == nil {
			var err error
			if b, err = unpackBlock(v); err != nil {
				return nil, fmt.Errorf("sale block %d: %w", binary.BigEndian.Uint64(k), err)
			}
		}
		if b.GetFirstId()+uint64(len(b.GetSales())) == first && b.GetCurrency() == currency {
			tail = b
			rebase(recs, base, b.GetBaseSeconds())
		}
	}
	if tail == nil {
		tail = &storev1.SaleBlock{FirstId: first, Currency: currency, BaseSeconds: base}
	}
	tail.Sales = append(tail.Sales, recs...)
	return &saleAppend{l: l, tail: tail}, nil
}

func (a *saleAppend) pack() { a.packed, _, a.err = a.l.pack(a.tail, true) }

func (a *saleAppend) put() error {
	if a.err != nil {
		return a.err
	}
	l := a.l
	for _, p := range a.packed {
		delete(l.blocks, p.first)
		if err := l.b.Put(u64(p.first), p.v); err != nil {
			return err
		}
	}
	if l.open != nil && l.wrote.block != nil {
		w := &l.wrote
		l.b.Tx().OnCommit(func() { l.open.keep(w.first, w.stored, w.block) })
	}
	return nil
}

// pack cuts b into blocks that each fit maxSaleBlock: runs of records are
// packed one block at a time, the number per block guessed from the last
// one packed. Unless final, it packs only while more records are left
// than a block is likely to hold, and returns the rest as the block that
// more records are to join.
func (l *saleLog) pack(b *storev1.SaleBlock, final bool) ([]packedBlock, *storev1.SaleBlock, error) {
	// Each record is marshalled once for a base (blockRecords), not on
	// every try at a block's size.
	return l.packWith(b, final, (*blockRecords).block)
}

// blockPacker returns the stored form of the block of the first n of
// recs, counted from base (compressed and wrapped, as unpackBlock reads it).
type blockPacker func(recs *blockRecords, first uint64, currency string, base int64, n int) ([]byte, error)

// packWith is pack, each block's bytes made by packer.
func (l *saleLog) packWith(b *storev1.SaleBlock, final bool, packer blockPacker) ([]packedBlock, *storev1.SaleBlock, error) {
	first, base := b.GetFirstId(), b.GetBaseSeconds()
	if l.perBlock == 0 {
		l.perBlock = 128
	}
	recs := &l.records
	recs.reset(b.Sales, base)
	defer recs.reset(nil, 0) // hold no records after
	pack := func(n int) ([]byte, error) { return packer(recs, first, b.GetCurrency(), base, n) }
	var out []packedBlock
	for len(recs.recs) > 0 && (final || len(recs.recs) > 2*l.perBlock+64) {
		n := min(l.perBlock, len(recs.recs))
		var v []byte
		for grew := false; ; {
			hv, err := pack(n)
			if err != nil {
				return nil, nil, err
			}
			if len(hv) > maxSaleBlock && n > 1 {
				// Too big: keep the share that should fit, a little less.
				n = max(1, min(n-1, n*maxSaleBlock*95/100/len(hv)))
				grew = true
				continue
			}
			v = hv
			if grew || n == len(recs.recs) || len(hv) >= maxSaleBlock*85/100 {
				break
			}
			// Room left and records left: try once with more.
			grew = true
			more := min(len(recs.recs), max(n+1, n*maxSaleBlock*92/100/len(hv)))
			mv, err := pack(more)
			if err != nil {
				return nil, nil, err
			}
			if len(mv) <= maxSaleBlock {
				v, n = mv, more
			}
			break
		}
		out = append(out, packedBlock{first, v})
		// The block's records take its base, as its bytes have them.
		rebase(recs.recs[:n], recs.from, base)
		// Nothing changes the records of the last block after this.
		l.wrote.first, l.wrote.stored, l.wrote.block = first, v, &storev1.SaleBlock{FirstId: first, Currency: b.GetCurrency(), BaseSeconds: base, Sales: recs.recs[:n:n]}
		if n < len(recs.recs) {
			l.perBlock = n
		}
		recs.drop(n)
		first += uint64(n)
		if len(recs.recs) > 0 {
			// The next block counts from its first record's time.
			base = recs.recs[0].GetEventSeconds() + recs.from
		}
	}
	rebase(recs.recs, recs.from, base)
	return out, &storev1.SaleBlock{FirstId: first, Currency: b.GetCurrency(), BaseSeconds: base, Sales: recs.recs}, nil
}

// rebase makes the relative times of recs, relative to from, relative to to.
func rebase(recs []*storev1.Sale, from, to int64) {
	if from == to {
		return
	}
	for _, r := range recs {
		r.EventSeconds += from - to
		r.CreateSeconds += from - to
	}
}

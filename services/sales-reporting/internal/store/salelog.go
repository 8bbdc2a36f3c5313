package store

import (
	"encoding/binary"
	"fmt"

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

var (
	zenc, _ = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderConcurrency(1), zstd.WithLowerEncoderMem(true))
	zdec, _ = zstd.NewReader(nil, zstd.WithDecoderConcurrency(0))
)

// packBlock marshals and compresses a block.
func packBlock(b *storev1.SaleBlock) ([]byte, error) {
	raw, err := proto.MarshalOptions{Deterministic: true}.Marshal(b)
	if err != nil {
		return nil, err
	}
	return proto.MarshalOptions{Deterministic: true}.Marshal(&storev1.Packed{Compression: storev1.Compression_COMPRESSION_ZSTD, Data: zenc.EncodeAll(raw, nil)})
}

// unpackBlock reads what packBlock wrote.
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
}

func newSaleLog(b *bolt.Bucket) *saleLog {
	return &saleLog{b: b, blocks: map[uint64]*storev1.SaleBlock{}}
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
	var tail *storev1.SaleBlock
	if k, v := l.b.Cursor().Last(); k != nil && len(v) < maxSaleBlock*9/10 {
		b, err := unpackBlock(v)
		if err != nil {
			return fmt.Errorf("sale block %d: %w", binary.BigEndian.Uint64(k), err)
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
	return l.write(tail)
}

// write stores b, cut into blocks that each fit maxSaleBlock.
func (l *saleLog) write(b *storev1.SaleBlock) error {
	for {
		v, err := packBlock(b)
		if err != nil {
			return err
		}
		if len(v) <= maxSaleBlock || len(b.Sales) == 1 {
			delete(l.blocks, b.GetFirstId())
			return l.b.Put(u64(b.GetFirstId()), v)
		}
		// Too big: keep the share that should fit, a little less, and
		// go on with the rest as a block of its own.
		n := max(1, min(len(b.Sales)-1, len(b.Sales)*maxSaleBlock*95/100/len(v)))
		for {
			head := &storev1.SaleBlock{FirstId: b.GetFirstId(), Currency: b.GetCurrency(), BaseSeconds: b.GetBaseSeconds(), Sales: b.Sales[:n]}
			hv, err := packBlock(head)
			if err != nil {
				return err
			}
			if len(hv) <= maxSaleBlock || n == 1 {
				delete(l.blocks, head.GetFirstId())
				if err := l.b.Put(u64(head.GetFirstId()), hv); err != nil {
					return err
				}
				break
			}
			n = max(1, n*9/10)
		}
		rest := b.Sales[n:]
		base := rest[0].GetEventSeconds() + b.GetBaseSeconds()
		rebase(rest, b.GetBaseSeconds(), base)
		b = &storev1.SaleBlock{FirstId: b.GetFirstId() + uint64(n), Currency: b.GetCurrency(), BaseSeconds: base, Sales: rest}
	}
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

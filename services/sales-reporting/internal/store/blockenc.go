package store

import (
	"slices"
	"unicode/utf8"

	storev1 "github.com/cqlive/alliance/gen/pb/alliance/sales/store/v1"
	"google.golang.org/protobuf/encoding/protowire"
)

// Packing a sale block tries a run of records at one size and often again
// at another (pack), and proto.Marshal of the whole block each time
// marshalled every record again: a record was marshalled 1.35 times on
// average. blockRecords marshals each record once for the base its times
// count from, and a block is then its head and the records' bytes, as
// proto.Marshal writes them (TestBlockBytesAreProtos holds it to that).

// recordBytes is a record's encoding and the block base it was made for.
type recordBytes struct {
	b    []byte
	base int64
}

// blockRecords keeps the encodings of a run of records, recs[i] in enc[i].
// The records' times count from from while they are packed: a record is
// rebased to its block's base once the block is cut, not each time a block
// before it is.
type blockRecords struct {
	recs []*storev1.Sale
	from int64
	enc  []recordBytes
	buf  []byte // the arena the encodings are cut from
	// raw and zbuf are pack's buffers for a block's bytes, raw and
	// compressed.
	raw, zbuf []byte
}

// reset makes r the records recs, whose times count from from, and
// keeps its buffers: once a pack returns, nothing holds the encodings.
func (r *blockRecords) reset(recs []*storev1.Sale, from int64) {
	clear(r.enc)
	*r = blockRecords{recs: recs, from: from, enc: r.enc[:0], buf: r.buf[:0], raw: r.raw, zbuf: r.zbuf}
}

// bytes returns the encoding of recs[i] for a block whose base is base.
// A record is encoded again only for another base.
func (r *blockRecords) bytes(i int, base int64) ([]byte, error) {
	if i >= len(r.enc) {
		r.enc = append(r.enc, make([]recordBytes, i+1-len(r.enc))...)
	}
	if e := r.enc[i]; e.b != nil && e.base == base {
		return e.b, nil
	}
	if cap(r.buf)-len(r.buf) < 256 {
		r.buf = make([]byte, 0, 32<<10)
	}
	start := len(r.buf)
	b, err := appendSaleRecord(r.buf, r.recs[i], r.from-base)
	if err != nil {
		return nil, err
	}
	r.buf = b
	r.enc[i] = recordBytes{b: b[start:len(b):len(b)], base: base}
	return r.enc[i].b, nil
}

// drop forgets the first n records.
func (r *blockRecords) drop(n int) {
	r.recs = r.recs[n:]
	r.enc = r.enc[min(n, len(r.enc)):]
}

// blockBytes is the encoding of SaleBlock{first, currency, base, recs[:n]},
// the same as proto.Marshal's.
func (r *blockRecords) blockBytes(dst []byte, first uint64, currency string, base int64, n int) ([]byte, error) {
	if !utf8.ValidString(currency) {
		// proto.Marshal refuses it: its error, as ever.
		_, err := deterministic.Marshal(&storev1.SaleBlock{Currency: currency})
		return nil, err
	}
	if first != 0 {
		dst = protowire.AppendTag(dst, 1, protowire.VarintType)
		dst = protowire.AppendVarint(dst, first)
	}
	if currency != "" {
		dst = protowire.AppendTag(dst, 2, protowire.BytesType)
		dst = protowire.AppendString(dst, currency)
	}
	if base != 0 {
		dst = protowire.AppendTag(dst, 3, protowire.VarintType)
		dst = protowire.AppendVarint(dst, uint64(base))
	}
	size := 0
	for i := range n {
		rb, err := r.bytes(i, base)
		if err != nil {
			return nil, err
		}
		size += 1 + protowire.SizeBytes(len(rb))
	}
	dst = slices.Grow(dst, size)
	for i := range n {
		rb := r.enc[i].b
		dst = protowire.AppendTag(dst, 4, protowire.BytesType)
		dst = protowire.AppendBytes(dst, rb)
	}
	return dst, nil
}

// block is the stored form of SaleBlock{first, currency, base, recs[:n]}:
// a blockPacker.
func (r *blockRecords) block(first uint64, currency string, base int64, n int) ([]byte, error) {
	var err error
	if r.raw, err = r.blockBytes(r.raw[:0], first, currency, base, n); err != nil {
		return nil, err
	}
	var v []byte
	v, r.zbuf = packed(r.raw, r.zbuf)
	return v, nil
}

// packed is a block's bytes, raw, compressed with zstd and wrapped in a
// storev1.Packed, written as proto.Marshal writes it; scratch is a buffer
// for the compressed bytes, which it returns for the next call.
func packed(raw, scratch []byte) (v, _ []byte) {
	scratch = zenc.EncodeAll(raw, scratch[:0])
	v = make([]byte, 0, 1+protowire.SizeVarint(uint64(storev1.Compression_COMPRESSION_ZSTD))+1+protowire.SizeBytes(len(scratch)))
	v = protowire.AppendTag(v, 1, protowire.VarintType)
	v = protowire.AppendVarint(v, uint64(storev1.Compression_COMPRESSION_ZSTD))
	v = protowire.AppendTag(v, 2, protowire.BytesType)
	return protowire.AppendBytes(v, scratch), scratch
}

// appendSaleRecord appends the encoding of r with shift added to its
// times (rebase), as proto.Marshal writes it: fields in number order, zero
// values left out, unknown fields last. A record with a string that is not
// UTF-8 is proto.Marshal's, so that it fails as it always did.
func appendSaleRecord(dst []byte, r *storev1.Sale, shift int64) ([]byte, error) {
	if !utf8.ValidString(r.Platform) || !utf8.ValidString(r.ExternalId) || !utf8.ValidString(r.RefundOf) || !utf8.ValidString(r.Currency) {
		return deterministic.MarshalAppend(dst, r)
	}
	varint := func(num protowire.Number, v uint64) {
		if v != 0 {
			dst = protowire.AppendTag(dst, num, protowire.VarintType)
			dst = protowire.AppendVarint(dst, v)
		}
	}
	str := func(num protowire.Number, s string) {
		if s != "" {
			dst = protowire.AppendTag(dst, num, protowire.BytesType)
			dst = protowire.AppendString(dst, s)
		}
	}
	varint(1, uint64(r.Session))
	varint(2, uint64(r.Product))
	if r.Refund {
		varint(3, 1)
	}
	varint(4, uint64(r.Quantity))
	varint(5, uint64(r.Amount))
	str(6, r.Platform)
	str(7, r.ExternalId)
	str(8, r.RefundOf)
	varint(9, protowire.EncodeZigZag(r.EventSeconds+shift))
	varint(10, uint64(int64(r.EventNanos)))
	varint(11, protowire.EncodeZigZag(r.CreateSeconds+shift))
	varint(12, uint64(int64(r.CreateNanos)))
	str(13, r.Currency)
	return append(dst, r.ProtoReflect().GetUnknown()...), nil
}

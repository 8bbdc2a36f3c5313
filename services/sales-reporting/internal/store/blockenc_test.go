package store

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	storev1 "github.com/cqlive/alliance/gen/pb/alliance/sales/store/v1"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// testRecords are records of the shapes a block holds: one session's
// orders and refunds, times before and after the base, other currencies,
// extreme values, and now and then an unknown field (a record a newer
// version wrote, kept as read).
func testRecords(r *rand.Rand, n int) []*storev1.Sale {
	recs := make([]*storev1.Sale, n)
	for i := range recs {
		s := &storev1.Sale{
			Session: uint32(1 + r.IntN(3)), Product: uint32(r.IntN(40)), Quantity: int64(1 + r.IntN(3)), Amount: int64(r.IntN(100000)),
			Platform: []string{"DOUYIN", "KUAISHOU", ""}[r.IntN(3)], ExternalId: fmt.Sprintf("s2020-%06d-o%d", r.IntN(50), i),
			EventSeconds: int64(r.IntN(20000)) - 5000, EventNanos: int32(r.IntN(1e9)),
			CreateSeconds: int64(r.IntN(20000)) - 5000, CreateNanos: int32(r.IntN(3)),
		}
		switch r.IntN(12) {
		case 0:
			s.Refund, s.RefundOf = true, fmt.Sprintf("s2020-%06d-o%d", r.IntN(50), r.IntN(i+1))
		case 1:
			s.Currency = "USD"
		case 2:
			s.Quantity, s.Amount, s.EventSeconds, s.CreateSeconds = math.MaxInt64, math.MinInt64, math.MinInt64/2, math.MaxInt64/2
		case 3:
			s.EventNanos, s.CreateNanos = -1, math.MinInt32
		case 4:
			s.ProtoReflect().SetUnknown(protowire.AppendVarint(protowire.AppendTag(nil, 40, protowire.VarintType), 7))
		case 5:
			s.Session, s.Product, s.ExternalId = math.MaxUint32, 0, "订单-é"
		}
		recs[i] = s
	}
	return recs
}

// A record and a block as blockRecords encodes them are proto.Marshal's
// bytes, to the byte.
func TestBlockBytesAreProtos(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	recs := testRecords(r, 500)
	for i, rec := range recs {
		got, err := appendSaleRecord(nil, rec, 0)
		if err != nil {
			t.Fatal(err)
		}
		want, err := deterministic.Marshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("record %d (%v): %x, proto marshals %x", i, rec, got, want)
		}
	}
	for _, head := range []struct {
		first    uint64
		currency string
		base     int64
	}{{0, "", 0}, {1, "CNY", 1_700_000_000}, {math.MaxUint64, "人民币", -1}} {
		br := &blockRecords{recs: recs, from: head.base}
		for _, n := range []int{0, 1, 77, 500} {
			got, err := br.blockBytes(nil, head.first, head.currency, head.base, n)
			if err != nil {
				t.Fatal(err)
			}
			want, err := deterministic.Marshal(&storev1.SaleBlock{FirstId: head.first, Currency: head.currency, BaseSeconds: head.base, Sales: recs[:n]})
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("block %v of %d records differs from proto's", head, n)
			}
		}
	}
}

// A record encoded for another base than its own (blockRecords.from) is
// proto.Marshal's of the record rebased.
func TestBlockBytesRebase(t *testing.T) {
	recs := testRecords(rand.New(rand.NewPCG(4, 4)), 300)
	br := &blockRecords{recs: recs, from: 1_700_000_000}
	got, err := br.blockBytes(nil, 5, "CNY", 1_700_000_777, len(recs))
	if err != nil {
		t.Fatal(err)
	}
	moved := make([]*storev1.Sale, len(recs))
	for i, r := range recs {
		moved[i] = proto.CloneOf(r)
	}
	rebase(moved, 1_700_000_000, 1_700_000_777)
	want, err := deterministic.Marshal(&storev1.SaleBlock{FirstId: 5, Currency: "CNY", BaseSeconds: 1_700_000_777, Sales: moved})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("a rebased block differs from proto's")
	}
}

// A string that is not UTF-8 fails as proto.Marshal fails on it.
func TestBlockBytesRefuseWhatProtoRefuses(t *testing.T) {
	bad := string([]byte{0xff, 'x'})
	for _, rec := range []*storev1.Sale{{Platform: bad}, {ExternalId: bad}, {RefundOf: bad}, {Currency: bad}} {
		_, want := deterministic.Marshal(rec)
		if _, err := appendSaleRecord(nil, rec, 0); err == nil || want == nil || err.Error() != want.Error() {
			t.Errorf("record %v: %v, proto says %v", rec, err, want)
		}
	}
	br := &blockRecords{recs: []*storev1.Sale{{}}, from: 0}
	_, want := deterministic.Marshal(&storev1.SaleBlock{Currency: bad})
	if _, err := br.blockBytes(nil, 1, bad, 0, 1); err == nil || want == nil || err.Error() != want.Error() {
		t.Errorf("block currency: %v, proto says %v", err, want)
	}
}

// packBlock is how the store wrote a block before blockRecords: proto
// marshals it and the Packed around its compressed bytes. The hand-made
// bytes are held to it.
func packBlock(b *storev1.SaleBlock) ([]byte, error) {
	raw, err := deterministic.Marshal(b)
	if err != nil {
		return nil, err
	}
	return deterministic.Marshal(&storev1.Packed{Compression: storev1.Compression_COMPRESSION_ZSTD, Data: zenc.EncodeAll(raw, nil)})
}

// protoBlock is the blockPacker pack was before blockRecords: the whole
// block marshalled by proto on every try.
func protoBlock(r *blockRecords, first uint64, currency string, base int64, n int) ([]byte, error) {
	recs := r.recs[:n]
	rebase(recs, r.from, base)
	defer rebase(recs, base, r.from)
	return packBlock(&storev1.SaleBlock{FirstId: first, Currency: currency, BaseSeconds: base, Sales: recs})
}

// packReference is pack with protoBlock.
func packReference(l *saleLog, b *storev1.SaleBlock, final bool) ([]packedBlock, *storev1.SaleBlock, error) {
	return l.packWith(b, final, protoBlock)
}

// pack, marshalling each record once, cuts the same blocks as proto's
// marshalling of every try does, to the byte, with the same rest, the same
// last block kept and the same guess at the next block's size, streamed
// in batches too; and the blocks and the rest hold every record as sent.
func TestPackGivesTheBlocksItGaveBefore(t *testing.T) {
	for _, c := range []struct {
		name    string
		n       int
		batches []int // records per call of pack; the last call is final
	}{
		{"one record", 1, []int{1}},
		{"a block's worth", 300, []int{300}},
		{"many blocks at once", 5000, []int{5000}},
		{"streamed", 5000, []int{256, 256, 700, 1000, 2788}},
		{"small batches", 2000, []int{1, 63, 64, 256, 256, 256, 256, 256, 592}},
	} {
		t.Run(c.name, func(t *testing.T) {
			seed := uint64(len(c.name))
			run := func(pack func(*saleLog, *storev1.SaleBlock, bool) ([]packedBlock, *storev1.SaleBlock, error)) ([]packedBlock, *storev1.SaleBlock, *saleLog) {
				recs := testRecords(rand.New(rand.NewPCG(seed, 3)), c.n)
				l := &saleLog{}
				head := &storev1.SaleBlock{FirstId: 1, Currency: "CNY", BaseSeconds: 1_700_000_000}
				var all []packedBlock
				for i, k := range c.batches {
					// As streamPack.run: a batch counts from the block's base.
					rebase(recs[:k], 1_700_000_000, head.GetBaseSeconds())
					head.Sales = append(head.Sales, recs[:k]...)
					recs = recs[k:]
					out, rest, err := pack(l, head, i == len(c.batches)-1)
					if err != nil {
						t.Fatal(err)
					}
					all, head = append(all, out...), rest
				}
				return all, head, l
			}
			got, gotRest, gl := run((*saleLog).pack)
			// Every record is stored as it came, at its own time, in
			// blocks that fit, and the rest counts from its base.
			var stored []*storev1.Sale
			for i, p := range got {
				if len(p.v) > maxSaleBlock && i < len(got)-1 {
					t.Fatalf("block %d is %d bytes, past %d", i, len(p.v), maxSaleBlock)
				}
				blk, err := unpackBlock(p.v)
				if err != nil {
					t.Fatal(err)
				}
				if blk.GetFirstId() != p.first || p.first != uint64(len(stored))+1 {
					t.Fatalf("block %d holds first id %d, stored under %d, after %d records", i, blk.GetFirstId(), p.first, len(stored))
				}
				rebase(blk.Sales, blk.GetBaseSeconds(), 1_700_000_000)
				stored = append(stored, blk.Sales...)
			}
			rest := proto.CloneOf(gotRest)
			rebase(rest.Sales, rest.GetBaseSeconds(), 1_700_000_000)
			stored = append(stored, rest.Sales...)
			sent := testRecords(rand.New(rand.NewPCG(seed, 3)), c.n)
			if len(stored) != len(sent) {
				t.Fatalf("%d records stored, %d sent", len(stored), len(sent))
			}
			for i := range sent {
				if !proto.Equal(stored[i], sent[i]) {
					t.Fatalf("record %d stored as %v, sent as %v", i, stored[i], sent[i])
				}
			}
			want, wantRest, wl := run(packReference)
			if len(got) != len(want) {
				t.Fatalf("%d blocks, before %d", len(got), len(want))
			}
			for i := range got {
				if got[i].first != want[i].first || !bytes.Equal(got[i].v, want[i].v) {
					t.Fatalf("block %d (first %d) differs from before's (first %d)", i, got[i].first, want[i].first)
				}
			}
			if !proto.Equal(gotRest, wantRest) {
				t.Errorf("rest %v, before %v", gotRest, wantRest)
			}
			if gl.perBlock != wl.perBlock || gl.wrote.first != wl.wrote.first || !bytes.Equal(gl.wrote.stored, wl.wrote.stored) || !proto.Equal(gl.wrote.block, wl.wrote.block) {
				t.Errorf("kept block %d (%d a block), before %d (%d a block)", gl.wrote.first, gl.perBlock, wl.wrote.first, wl.perBlock)
			}
		})
	}
}

// BenchmarkPack packs 40,000 records (an import's commit) into blocks,
// now and with proto's marshalling of every try (packReference), in one
// run: at once, as flush packs
// a large logged group, and streamed 256 records at a time, as streamPack
// packs an import's.
//
//	go test -run '^$' -bench Pack -count 6 ./internal/store/
func BenchmarkPack(b *testing.B) {
	recs := testRecords(rand.New(rand.NewPCG(9, 9)), 40000)
	for _, batch := range []int{len(recs), streamBatch} {
		for _, c := range []struct {
			name string
			pack func(*saleLog, *storev1.SaleBlock, bool) ([]packedBlock, *storev1.SaleBlock, error)
		}{{"now", (*saleLog).pack}, {"before", packReference}} {
			b.Run(fmt.Sprintf("batch=%d/%s", batch, c.name), func(b *testing.B) {
				for range b.N {
					b.StopTimer()
					clones := make([]*storev1.Sale, len(recs))
					for i, r := range recs {
						clones[i] = proto.CloneOf(r)
					}
					b.StartTimer()
					l := &saleLog{}
					head := &storev1.SaleBlock{FirstId: 1, Currency: "CNY", BaseSeconds: 1_700_000_000}
					for len(clones) > 0 {
						k := min(batch, len(clones))
						// As streamPack.run: the batch counts from the block's base.
						rebase(clones[:k], 1_700_000_000, head.GetBaseSeconds())
						head.Sales = append(head.Sales, clones[:k]...)
						clones = clones[k:]
						var err error
						if _, head, err = c.pack(l, head, len(clones) == 0); err != nil {
							b.Fatal(err)
						}
					}
				}
			})
		}
	}
}

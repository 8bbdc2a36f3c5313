package store

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/cqlive/alliance/services/sales-reporting/internal/ingest"
	"github.com/cqlive/alliance/services/sales-reporting/internal/report"
	bolt "go.etcd.io/bbolt"
)

// migrateV1 moves a file from schema 1 to 2, in the one transaction
// boltdb.Open gives it:
//   - sales, session snapshots and cells are rewritten with exact times
//     (record version 2). A time schema 1 had already wrapped (outside
//     1677–2262) cannot be recovered; it is kept as it was read;
//   - the listing indexes are emptied, since their keys change length; the
//     indexer rebuilds them from the sales (see IndexSales);
//   - the totals are summed from the cells. They saturate rather than
//     fail: a file whose sums already reach the int64 limit then refuses
//     new lines (TOTAL_OVERFLOW) instead of refusing to open.
func migrateV1(btx *bolt.Tx) error {
	if err := rewrite(btx.Bucket(v2Sales), func(k, v []byte) ([]byte, error) {
		s, err := decodeSaleAs(binary.BigEndian.Uint64(k), v, 1)
		if err != nil {
			return nil, err
		}
		return encodeSale(s), nil
	}); err != nil {
		return fmt.Errorf("sales: %w", err)
	}
	if err := rewrite(btx.Bucket(v2Sessions), func(k, v []byte) ([]byte, error) {
		s, err := decodeSessionAs(string(k), v, 1)
		if err != nil {
			return nil, err
		}
		return encodeSession(s), nil
	}); err != nil {
		return fmt.Errorf("session snapshots: %w", err)
	}
	var totals report.Sums
	if err := rewrite(btx.Bucket(v2Cells), func(k, v []byte) ([]byte, error) {
		var c report.Cell
		if err := decodeCellAs(&c, v, 1); err != nil {
			return nil, fmt.Errorf("cell %q: %w", k, err)
		}
		totals.Merge(c.Sums())
		return encodeCell(&c), nil
	}); err != nil {
		return fmt.Errorf("cells: %w", err)
	}
	for _, name := range [][]byte{v2ByTime, v2BySession} {
		if btx.Bucket(name) != nil {
			if err := btx.DeleteBucket(name); err != nil {
				return err
			}
		}
		if _, err := btx.CreateBucket(name); err != nil {
			return err
		}
	}
	if state := btx.Bucket(v2IndexState); state != nil {
		if err := state.Delete(v2IndexedThrough); err != nil {
			return err
		}
	}
	b, err := btx.CreateBucketIfNotExists(v2Totals)
	if err != nil {
		return err
	}
	return b.Put(v2TotalsKey, encodeSums(totals))
}

// migrateV2 moves a file from schema 2 to 3, in the one transaction
// boltdb.Open gives it: every record is read in the encoding of schema 2
// and written as the protobuf records of schema 3 into the buckets of
// schema 3 (sales into blocks, names into the dictionaries, the keys into
// KeyBlocks), and the buckets of schema 2 are deleted. The listing indexes
// are not copied: the indexer rebuilds them from the sales (IndexSales).
// Sales keep their ids, so sale names (sales/s…) stay valid; the idempotency
// keys, the refunded totals and the cells are carried over exactly, and
// the totals as they were.
func migrateV2(btx *bolt.Tx) error {
	st := &Store{dict: &dict{sessionIDs: map[string]uint32{}, sessions: []string{""}, productIDs: map[string]uint32{}, products: []string{""}}}
	for _, b := range buckets {
		if _, err := btx.CreateBucketIfNotExists(b); err != nil {
			return err
		}
	}
	t := st.newTx(btx)
	// Snapshots first: sales and cells name them by id.
	if b := btx.Bucket(v2Sessions); b != nil {
		if err := b.ForEach(func(k, v []byte) error {
			s, err := decodeSessionAs(string(k), v, sessionVersion)
			if err != nil {
				return err
			}
			return t.PutSession(s)
		}); err != nil {
			return fmt.Errorf("session snapshots: %w", err)
		}
	}
	if b := btx.Bucket(v2Products); b != nil {
		if err := b.ForEach(func(k, v []byte) error {
			p, err := decodeProduct(string(k), v)
			if err != nil {
				return err
			}
			return t.PutProduct(p)
		}); err != nil {
			return fmt.Errorf("product snapshots: %w", err)
		}
	}
	// A sale or cell may name a session or product without a snapshot only
	// in a file damaged by hand; give such a name an id, so nothing is lost.
	name := func(session, product string) error {
		if _, ok := t.sessionID(session); !ok {
			if _, err := t.nameID(t.sessions, session, t.sessionID, t.pending.sessions); err != nil {
				return err
			}
			v, _ := deterministic.Marshal(sessionRecord(&ingest.Session{Name: session}))
			if err := t.sessions.Put(u32(t.pending.sessions[session]), v); err != nil {
				return err
			}
		}
		if _, ok := t.productID(product); !ok {
			if err := t.PutProduct(&ingest.Product{Name: product, Merchant: ingest.MerchantOf(product)}); err != nil {
				return err
			}
		}
		return nil
	}
	// Sales in id order, in batches, each batch appended as the ingestion
	// appends a commit's.
	var seq uint64
	if b := btx.Bucket(v2Sales); b != nil {
		seq = b.Sequence()
		var batch []*ingest.Sale
		appendBatch := func() error {
			if len(batch) == 0 {
				return nil
			}
			t.newSales = batch
			clear(t.newKeys)
			for _, s := range batch {
				t.newKeys[string(saleKey(s.Platform, s.ExternalID))] = s.ID
			}
			if err := t.flush(); err != nil {
				return err
			}
			batch = nil
			return nil
		}
		if err := b.ForEach(func(k, v []byte) error {
			s, err := decodeSaleAs(binary.BigEndian.Uint64(k), v, saleVersion)
			if err != nil {
				return err
			}
			if err := name(s.Session, s.Product); err != nil {
				return err
			}
			if len(batch) > 0 && s.ID != batch[len(batch)-1].ID+1 || len(batch) == rewriteBatch {
				// A gap in the ids (none is ever made) starts a block of its own.
				if err := appendBatch(); err != nil {
					return err
				}
			}
			batch = append(batch, s)
			return nil
		}); err != nil {
			return fmt.Errorf("sales: %w", err)
		}
		if err := appendBatch(); err != nil {
			return fmt.Errorf("sales: %w", err)
		}
		t.newSales = nil
		clear(t.newKeys)
	}
	if err := btx.Bucket(bucketSaleBlocks).SetSequence(seq); err != nil {
		return err
	}
	if b := btx.Bucket(v2Refunded); b != nil {
		if err := b.ForEach(func(k, v []byte) error {
			d := dec{b: v}
			q, a := d.i(), d.i()
			if d.err != nil || len(k) != 8 {
				return fmt.Errorf("refunded %x: %w", k, errCorrupt)
			}
			return t.SetRefunded(binary.BigEndian.Uint64(k), q, a)
		}); err != nil {
			return fmt.Errorf("refunded: %w", err)
		}
	}
	if b := btx.Bucket(v2Cells); b != nil {
		if err := b.ForEach(func(k, v []byte) error {
			session, product, day, ok := parseCellKey(k)
			if !ok {
				return fmt.Errorf("cell key %q: %w", k, errCorrupt)
			}
			var c report.Cell
			if err := decodeCellAs(&c, v, cellVersion); err != nil {
				return fmt.Errorf("cell %q: %w", k, err)
			}
			if err := name(session, product); err != nil {
				return err
			}
			sid, pid, err := t.ids(session, product)
			if err != nil {
				return err
			}
			r, err := deterministic.Marshal(cellRecord(&c))
			if err != nil {
				return err
			}
			return t.cells.Put(cellKeyOf(sid, pid, day), r)
		}); err != nil {
			return fmt.Errorf("cells: %w", err)
		}
	}
	if b := btx.Bucket(v2Totals); b != nil {
		if v := b.Get(v2TotalsKey); v != nil {
			s, err := decodeSums(v)
			if err != nil {
				return fmt.Errorf("totals: %w", err)
			}
			if err := t.SetTotals(s); err != nil {
				return err
			}
		}
	}
	for _, old := range [][]byte{v2Sales, v2SaleKeys, v2ByTime, v2BySession, v2IndexState, v2Refunded, v2Sessions, v2Products, v2Cells, v2Totals} {
		if btx.Bucket(old) != nil {
			if err := btx.DeleteBucket(old); err != nil {
				return err
			}
		}
	}
	return nil
}

// rewriteBatch bounds the copies rewrite holds at once.
const rewriteBatch = 10000

// rewrite replaces every value of b with fn's. It reads a batch, then
// writes it, then seeks again past the batch: bbolt's cursors are not
// valid across writes to their bucket.
func rewrite(b *bolt.Bucket, fn func(k, v []byte) ([]byte, error)) error {
	if b == nil {
		return nil
	}
	type kv struct{ k, v []byte }
	var from []byte
	batch := make([]kv, 0, rewriteBatch)
	for {
		c := b.Cursor()
		var k, v []byte
		if from == nil {
			k, v = c.First()
		} else if k, v = c.Seek(from); bytes.Equal(k, from) {
			k, v = c.Next()
		}
		batch = batch[:0]
		for ; k != nil && len(batch) < rewriteBatch; k, v = c.Next() {
			nv, err := fn(k, v)
			if err != nil {
				return err
			}
			batch = append(batch, kv{append([]byte(nil), k...), nv})
		}
		if len(batch) == 0 {
			return nil
		}
		for _, x := range batch {
			if err := b.Put(x.k, x.v); err != nil {
				return err
			}
		}
		from = batch[len(batch)-1].k
	}
}

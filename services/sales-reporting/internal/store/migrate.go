package store

import (
	"bytes"
	"encoding/binary"
	"fmt"

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
	if err := rewrite(btx.Bucket(bucketSales), func(k, v []byte) ([]byte, error) {
		s, err := decodeSaleAs(binary.BigEndian.Uint64(k), v, 1)
		if err != nil {
			return nil, err
		}
		return encodeSale(s), nil
	}); err != nil {
		return fmt.Errorf("sales: %w", err)
	}
	if err := rewrite(btx.Bucket(bucketSessions), func(k, v []byte) ([]byte, error) {
		s, err := decodeSessionAs(string(k), v, 1)
		if err != nil {
			return nil, err
		}
		return encodeSession(s), nil
	}); err != nil {
		return fmt.Errorf("session snapshots: %w", err)
	}
	var totals report.Sums
	if err := rewrite(btx.Bucket(bucketCells), func(k, v []byte) ([]byte, error) {
		var c report.Cell
		if err := decodeCellAs(&c, v, 1); err != nil {
			return nil, fmt.Errorf("cell %q: %w", k, err)
		}
		totals.Merge(c.Sums())
		return encodeCell(&c), nil
	}); err != nil {
		return fmt.Errorf("cells: %w", err)
	}
	for _, name := range [][]byte{bucketByTime, bucketBySession} {
		if btx.Bucket(name) != nil {
			if err := btx.DeleteBucket(name); err != nil {
				return err
			}
		}
		if _, err := btx.CreateBucket(name); err != nil {
			return err
		}
	}
	if state := btx.Bucket(bucketIndexState); state != nil {
		if err := state.Delete(indexedKey); err != nil {
			return err
		}
	}
	b, err := btx.CreateBucketIfNotExists(bucketTotals)
	if err != nil {
		return err
	}
	return b.Put(totalsKey, encodeSums(totals))
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

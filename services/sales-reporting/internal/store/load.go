package store

import (
	"encoding/binary"
	"fmt"
	"time"

	storev1 "github.com/cqlive/alliance/gen/pb/alliance/sales/store/v1"
	"github.com/cqlive/alliance/services/sales-reporting/internal/ingest"
	"github.com/cqlive/alliance/services/sales-reporting/internal/report"
	bolt "go.etcd.io/bbolt"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// snapshots reads every session and product record, by dictionary id.
func snapshots(btx *bolt.Tx) (map[uint32]*ingest.Session, map[uint32]*ingest.Product, error) {
	ss := map[uint32]*ingest.Session{}
	ps := map[uint32]*ingest.Product{}
	if err := btx.Bucket(bucketSessions).ForEach(func(k, v []byte) error {
		var r storev1.SessionRecord
		if len(k) != 4 || proto.Unmarshal(v, &r) != nil {
			return fmt.Errorf("session record %x: %w", k, errCorrupt)
		}
		ss[binary.BigEndian.Uint32(k)] = sessionOf(&r)
		return nil
	}); err != nil {
		return nil, nil, err
	}
	err := btx.Bucket(bucketProducts).ForEach(func(k, v []byte) error {
		var r storev1.ProductRecord
		if len(k) != 4 || proto.Unmarshal(v, &r) != nil {
			return fmt.Errorf("product record %x: %w", k, errCorrupt)
		}
		ps[binary.BigEndian.Uint32(k)] = productOf(&r)
		return nil
	})
	return ss, ps, err
}

// viewFlushed reads sales.db once it holds every answered write: the
// whole-file readers here walk sales.db itself, not the open transaction
// behind the log (see Store.View), so they commit it first. At start-up,
// after Open's replay, there is nothing to commit.
func (s *Store) viewFlushed(fn func(*bolt.Tx) error) error {
	if err := s.Flush(); err != nil {
		return err
	}
	return s.db.View(fn)
}

// Snapshots returns every stored session and product snapshot.
func (s *Store) Snapshots() ([]*ingest.Session, []*ingest.Product, error) {
	var out []*ingest.Session
	var prods []*ingest.Product
	err := s.viewFlushed(func(btx *bolt.Tx) error {
		ss, ps, err := snapshots(btx)
		for _, x := range ss {
			out = append(out, x)
		}
		for _, p := range ps {
			prods = append(prods, p)
		}
		return err
	})
	return out, prods, err
}

// dropBatches is how many batches of cells Cells reads between two drops
// of the file's mapped pages (see DropMappedPages): about a million cells.
var dropBatches = 64

// Cells calls fn with every stored cell, attributed from the snapshots;
// start-up loads the report engine with it. Reading and decoding the cells
// runs beside fn, on another goroutine, in batches: start-up has the
// machine to itself, and fn (the engine's merge) is the longer half.
func (s *Store) Cells(fn func(report.Cell)) error {
	return s.viewFlushed(func(btx *bolt.Tx) error {
		ss, ps, err := snapshots(btx)
		if err != nil {
			return err
		}
		const batch = 4096
		full, free := make(chan []report.Cell, 4), make(chan []report.Cell, 5)
		for range 5 {
			free <- make([]report.Cell, 0, batch)
		}
		done := make(chan error, 1)
		go func() {
			defer close(full)
			out, read := <-free, 0
			err := btx.Bucket(bucketCells).ForEach(func(k, v []byte) error {
				if len(k) != 12 {
					return fmt.Errorf("cell key %x: %w", k, errCorrupt)
				}
				ses, p := ss[binary.BigEndian.Uint32(k)], ps[binary.BigEndian.Uint32(k[4:])]
				if ses == nil || p == nil {
					return fmt.Errorf("cell %x has no record of its session or product", k)
				}
				out = append(out, report.Cell{Session: ses.Name, Product: p.Name, Day: dayOfKey(k[8:]), Attr: ingest.Attribution(ses, p)})
				if err := decodeCell(v, &out[len(out)-1]); err != nil {
					return fmt.Errorf("cell %x: %w", k, err)
				}
				if len(out) == batch {
					full <- out
					out = <-free
					// The pages read so far are not read again: out of the
					// resident set with them, so that the file does not
					// pile up there while the engine grows (a read fault
					// brings back any page still needed, from the cache).
					if read++; read%dropBatches == 0 {
						if err := s.dropMapped(btx); err != nil {
							return err
						}
					}
				}
				return nil
			})
			if len(out) > 0 {
				full <- out
			}
			done <- err
		}()
		for cells := range full {
			for i := range cells {
				fn(cells[i])
			}
			free <- cells[:0]
		}
		return <-done
	})
}

// ForEachSale calls fn with every stored sale, in id order (for checks and recounts).
func (s *Store) ForEachSale(fn func(*ingest.Sale) error) error {
	return s.viewFlushed(func(btx *bolt.Tx) error {
		t := s.newTx(btx)
		return btx.Bucket(bucketSaleBlocks).ForEach(func(k, v []byte) error {
			b, err := unpackBlock(v)
			if err != nil {
				return fmt.Errorf("sale block %x: %w", k, err)
			}
			for i, r := range b.GetSales() {
				sale, err := saleOf(b.GetFirstId()+uint64(i), r, b, t)
				if err != nil {
					return err
				}
				if err := fn(sale); err != nil {
					return err
				}
			}
			return nil
		})
	})
}

// CellCount is about how many cells Cells will call its function with,
// read from the pages' headers without decoding a cell, so that start-up
// can size the engine before loading it.
func (s *Store) CellCount() (int, error) {
	var n int
	err := s.viewFlushed(func(btx *bolt.Tx) error {
		n = btx.Bucket(bucketCells).Stats().KeyN
		return nil
	})
	return n, err
}

// decodeCell sets c's figures from a stored storev1.Cell, as proto.Unmarshal
// and setCell would, without allocating its two timestamps: start-up
// decodes every cell of the file, and those allocations were a seventh of
// its garbage. TestCellDecodingAgreesWithProto holds it to proto's answer.
func decodeCell(b []byte, c *report.Cell) error {
	var ts [2]struct {
		set        bool
		sec, nanos int64
	}
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		switch {
		case num >= 1 && num <= 5 && typ == protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return protowire.ParseError(n)
			}
			b = b[n:]
			*[...]*int64{&c.Orders, &c.Units, &c.Gross, &c.Refunds, &c.RefundLines}[num-1] = int64(v)
		case (num == 6 || num == 7) && typ == protowire.BytesType:
			m, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return protowire.ParseError(n)
			}
			b = b[n:]
			t := &ts[num-6]
			t.set = true
			// A message field met twice merges: each of its fields keeps
			// its last value.
			for len(m) > 0 {
				tnum, ttyp, n := protowire.ConsumeTag(m)
				if n < 0 {
					return protowire.ParseError(n)
				}
				m = m[n:]
				if (tnum == 1 || tnum == 2) && ttyp == protowire.VarintType {
					v, n := protowire.ConsumeVarint(m)
					if n < 0 {
						return protowire.ParseError(n)
					}
					m = m[n:]
					if tnum == 1 {
						t.sec = int64(v)
					} else {
						t.nanos = int64(int32(v))
					}
					continue
				}
				n = protowire.ConsumeFieldValue(tnum, ttyp, m)
				if n < 0 {
					return protowire.ParseError(n)
				}
				m = m[n:]
			}
		default:
			n := protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return protowire.ParseError(n)
			}
			b = b[n:]
		}
	}
	for i, at := range [2]*time.Time{&c.FirstEvent, &c.LastEvent} {
		if ts[i].set {
			*at = time.Unix(ts[i].sec, ts[i].nanos).UTC()
		} else {
			*at = time.Time{}
		}
	}
	return nil
}

package store

import (
	"slices"

	storev1 "github.com/cqlive/alliance/gen/pb/alliance/sales/store/v1"
	"github.com/cqlive/alliance/services/sales-reporting/internal/ingest"
)

// UpdateLines implements ingest.SizedRepo. A group of at least directSales
// lines (an import's chunks) runs in the open transaction as it is, not
// kept for a log entry, and commits sales.db before it returns: bbolt's
// fsyncs are then shared by thousands of sales, and the log would only add
// its bytes and the cost of keeping every write twice. The transaction's
// sales and keys are sized for the group at once, and its sale blocks are
// packed while it is judged (streamPack). A smaller group is Update.
func (s *Store) UpdateLines(lines int, fn func(ingest.Tx) error) error {
	if lines < directSales {
		return s.Update(fn)
	}
	return s.write(func() (int, error) { return s.updateDirect(lines, fn) })
}

func (s *Store) updateDirect(lines int, fn func(ingest.Tx) error) (int, error) {
	if s.broken != nil {
		return 0, s.broken
	}
	if err := s.begin(); err != nil {
		return 0, err
	}
	t := s.live.t
	t.reserve(lines)
	before := len(t.newSales)
	if err := fn(&bulkTx{t}); err != nil {
		t.stopStream()
		s.abort()
		return 0, err
	}
	n := len(t.newSales) - before
	if n == 0 {
		// Nothing new (repeats, refusals): ingestion writes nothing else
		// for a group that stores no sale, so there is nothing to commit.
		return 0, nil
	}
	s.live.sales += n
	s.live.dirty = true
	if err := s.commitLocked(); err != nil {
		return 0, err
	}
	return n, nil
}

// reserve makes room for n more sales in the transaction's memory.
func (t *tx) reserve(n int) {
	t.newSales = slices.Grow(t.newSales, n)
	if len(t.newKeys) == 0 {
		t.newKeys = make(map[string]uint64, n)
	}
}

// bulkTx is the transaction of a large group: each sale put goes to the
// packer of the sale blocks as well.
type bulkTx struct{ *tx }

func (b *bulkTx) PutSale(s *ingest.Sale) error {
	t := b.tx
	if err := t.PutSale(s); err != nil {
		return err
	}
	if t.stream == nil {
		// The transaction may hold logged groups' sales before this one:
		// the blocks take them all, from the first.
		t.stream = t.startStream()
		return t.stream.add(t, t.newSales)
	}
	return t.stream.add(t, t.newSales[len(t.newSales)-1:])
}

// streamPack packs a transaction's sale blocks on a goroutine of its own
// while the group is judged, a batch of records at a time: packing is a
// third of a large group's commit, and the judging does not wait for it.
// Blocks are packed only once the records after them are sure to start
// another; the rest waits for flushStream.
type streamPack struct {
	a        *saleAppend
	currency string
	base     int64 // the records' times count from the first sale's
	batch    []*storev1.Sale
	in       chan []*storev1.Sale
	done     chan struct{}
	closed   bool
}

// streamBatch is how many records go to the packer at once.
const streamBatch = 256

func (t *tx) startStream() *streamPack {
	first := t.newSales[0]
	sp := &streamPack{currency: first.Currency, base: first.EventTime.Unix(), in: make(chan []*storev1.Sale, 8), done: make(chan struct{})}
	a, err := t.log.startAppend(first.ID, sp.currency, nil, sp.base)
	if err != nil {
		a = &saleAppend{l: t.log, err: err}
	}
	sp.a = a
	go sp.run()
	return sp
}

func (sp *streamPack) add(t *tx, sales []*ingest.Sale) error {
	for _, s := range sales {
		sid, pid, err := t.ids(s.Session, s.Product)
		if err != nil {
			return err
		}
		sp.batch = append(sp.batch, saleRecord(s, sid, pid, sp.currency, sp.base))
		if len(sp.batch) == streamBatch {
			sp.in <- sp.batch
			sp.batch = make([]*storev1.Sale, 0, streamBatch)
		}
	}
	return nil
}

func (sp *streamPack) run() {
	defer close(sp.done)
	a, head := sp.a, sp.a.tail
	for recs := range sp.in {
		if a.err != nil {
			continue
		}
		rebase(recs, sp.base, head.GetBaseSeconds())
		head.Sales = append(head.Sales, recs...)
		var out []packedBlock
		out, head, a.err = a.l.pack(head, false)
		a.packed = append(a.packed, out...)
	}
	if a.err == nil {
		out, _, err := a.l.pack(head, true)
		a.packed, a.err = append(a.packed, out...), err
	}
}

// close hands the packer the last records.
func (sp *streamPack) close() {
	if !sp.closed {
		sp.closed = true
		if len(sp.batch) > 0 {
			sp.in <- sp.batch
		}
		close(sp.in)
	}
}

// finish waits for the packer's blocks.
func (sp *streamPack) finish() *saleAppend {
	sp.close()
	<-sp.done
	return sp.a
}

// stopStream ends the packer of a transaction that rolls back.
func (t *tx) stopStream() {
	if t.stream != nil {
		t.stream.finish()
		t.stream = nil
	}
}

// flushStream is flush for a transaction whose blocks streamPack packs:
// the keys and cells are written while it packs the last records.
func (t *tx) flushStream() error {
	sp := t.stream
	t.stream = nil
	sp.close()
	err := t.flushKeysAndCells()
	a := sp.finish()
	if err != nil {
		return err
	}
	return a.put()
}

// Package store keeps sales, their idempotency index, refunded totals,
// attribution snapshots and rollup cells in one bbolt file (sales.db).
// The records are the protobuf messages of alliance.sales.store.v1
// (proto/alliance/sales/store/v1/records.proto); schema.go lists every
// bucket. Each function that touches a bucket runs inside a transaction
// the caller owns, so the sales and the cells that count them always
// commit together. *bolt.DB does not leave this package.
//
//   - schema.go: the buckets and the schema version;
//   - tx.go: the domain's transaction (ingest.Tx) over bbolt;
//   - codec.go: records <-> domain values, and keys;
//   - salelog.go, keyindex.go, dict.go: the packed forms (blocks of sales,
//     blocks of front-coded keys, dictionaries of names);
//   - indexer.go: the listing indexes, kept off the ingestion path;
//   - load.go: what start-up reads (snapshots, cells);
//   - migrate.go, legacy.go: the steps from schemas 1 and 2.
package store

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	storev1 "github.com/cqlive/alliance/gen/pb/alliance/sales/store/v1"
	"github.com/cqlive/alliance/services/kit/boltdb"
	"github.com/cqlive/alliance/services/sales-reporting/internal/ingest"
	bolt "go.etcd.io/bbolt"
)

// Store is sales.db with its write-ahead log, sales.wal (wal.go).
//
// A group commit of the ingestion (Update) runs in the store's open bbolt
// write transaction, which stays open across groups: its changes become
// one log entry, appended and synced before Update returns, so an
// answered sale is durable once its entry is. The open transaction is
// committed (with bbolt's own fsync, and the seq of the last entry it
// holds) every FlushEvery, or sooner after FlushSales sales, and before
// anything that reads or writes sales.db beside it (the indexer, traffic
// snapshots, a backup, Close); then the log is emptied. Readers (View) read
// the open transaction while there is one, so they see every answered
// write. Open replays the entries past the file's seq.
//
// The reads of load.go (start-up: snapshots, cells, every sale) read
// sales.db as it is, which after Open is everything; elsewhere, Flush
// first.
//
// What this buys: one fsync per group instead of bbolt's two, and the
// scattered page writes and the packing of sale blocks once per commit of
// sales.db instead of once per group.
type Store struct {
	db      *bolt.DB
	dict    *dict
	observe boltdb.CommitObserver // the commit metrics (o.Observe); nil: none
	// open is the last sale block, kept decoded between commits.
	open openBlock
	// lastWrite is when the last write transaction committed (UnixNano):
	// the indexer waits for a pause in ingestion.
	lastWrite atomic.Int64
	// writing counts the group commits running or waiting for mu: the
	// indexer leaves sales.db to them.
	writing atomic.Int32

	wal   *saleWAL
	logID []byte
	cfg   config

	// mu owns the write side: the open transaction, the seqs, and every
	// use of sales.db's writer.
	mu sync.Mutex
	// live is the open write transaction, nil when sales.db holds
	// everything.
	live *liveTx
	// applied is the seq of the last entry sales.db holds; seq the last
	// one logged.
	applied, seq uint64
	// unapplied is seq - applied, for readers that do not hold mu: while
	// it is 0, sales.db holds every answered write and a reader need not
	// wait for a group commit that is running.
	unapplied atomic.Uint64
	// broken, once set, fails every write: the log could not be written,
	// or what it holds could not be replayed.
	broken error

	// replayed counts what Open took from the log: entries and sales.
	replayed struct{ entries, sales int }

	// The engine's image (image.go): the file's path, the close token Open
	// took from it (or why none), what Close writes, and whether a stored
	// attribution changed since Open.
	path    string
	token   []byte
	noToken string
	image   struct {
		write func(io.Writer, []byte) error
		done  func(string, error)
	}
	spoiled atomic.Bool

	stop, stopped chan struct{}
	closeOnce     sync.Once
	closeErr      error
}

type liveTx struct {
	btx   *bolt.Tx
	t     *tx
	sales int
	began time.Time
	// dirty: a group or a replayed entry wrote into it.
	dirty bool
}

type config struct {
	flushEvery time.Duration
	flushSales int
}

// Option changes how Open runs the store.
type Option func(*config)

// FlushEvery is how long answered writes may wait in the log before
// sales.db takes them (default 1s): longer means fewer, larger bbolt
// commits and a longer replay after a crash. Each commit holds the group
// commit (5-70 ms under load, most of it bbolt's page writes and two
// fsyncs), so it is also how often the writers stall: at 200 ms they did
// for a tenth of the time, and that stall was RecordSale's p99.
func FlushEvery(d time.Duration) Option { return func(c *config) { c.flushEvery = d } }

// FlushSales commits sales.db once its open transaction holds n new sales
// (default 50,000), whatever the time.
func FlushSales(n int) Option { return func(c *config) { c.flushSales = n } }

// directSales is the size of a group that commits sales.db instead of
// being logged.
const directSales = 2000

var (
	logIDKey   = []byte("log_id")
	appliedKey = []byte("applied")
)

// Open opens (creating, or migrating) the file and its log beside it
// (sales.db -> sales.wal/), and replays the log's entries that the file
// does not hold yet.
func Open(path string, o boltdb.Options, opts ...Option) (*Store, error) {
	cfg := config{flushEvery: time.Second, flushSales: 50000}
	for _, f := range opts {
		f(&cfg)
	}
	db, err := boltdb.Open(path, Schema, o)
	if err != nil {
		return nil, err
	}
	s := &Store{db: db, observe: o.Observe, cfg: cfg, path: path, stop: make(chan struct{}), stopped: make(chan struct{})}
	if err := s.openLog(path, o.NoSync); err != nil {
		_ = db.Close()
		return nil, err
	}
	s.spoiled.Store(false) // what the replay stored, the engine loads
	// Reading the dictionary brought the pages of every session and
	// product record into the resident set (some 650 MB at the 2020
	// replay's size): out with them before the engine is loaded beside
	// them, which would otherwise peak at both.
	if err := s.DropMappedPages(); err != nil {
		_ = s.Close()
		return nil, err
	}
	go s.flusher()
	return s, nil
}

func (s *Store) openLog(path string, noSync bool) error {
	if err := s.db.Update(func(btx *bolt.Tx) error {
		b := btx.Bucket(bucketWAL)
		if s.logID = bytes.Clone(b.Get(logIDKey)); s.logID == nil {
			s.logID = make([]byte, 16)
			if _, err := rand.Read(s.logID); err != nil {
				return err
			}
			if err := b.Put(logIDKey, s.logID); err != nil {
				return err
			}
		}
		if v := b.Get(appliedKey); v != nil {
			s.applied = binary.BigEndian.Uint64(v)
		}
		if err := s.takeToken(btx, b); err != nil {
			return err
		}
		var err error
		s.dict, err = loadDict(btx)
		return err
	}); err != nil {
		return err
	}
	s.seq = s.applied
	w, err := openWAL(boltdb.LogPath(path), noSync)
	if err != nil {
		return err
	}
	s.wal = w
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.replay(true); err != nil {
		if s.live != nil {
			_ = s.live.btx.Rollback()
			s.live = nil
		}
		_ = w.close()
		return err
	}
	if err := s.commitLocked(); err != nil {
		_ = w.close()
		return err
	}
	if err := s.wal.empty(true); err != nil {
		_ = w.close()
		return err
	}
	return nil
}

// replay applies the log's entries past s.seq (at open, past what
// sales.db holds; after a failed write, the answered entries that were in
// the transaction it rolled back). At open, entries at the end that do not
// read back are a write cut short by a crash, never answered: they are
// dropped. Anywhere else such an entry, a gap, or another file's entry is
// an error.
func (s *Store) replay(atOpen bool) error {
	var torn uint64
	err := s.wal.entries(func(i uint64, e *storev1.LogEntry, err error) error {
		switch {
		case err != nil && atOpen:
			if torn == 0 {
				torn = i
			}
			return nil
		case err != nil:
			return fmt.Errorf("sales.wal entry %d: %w", i, err)
		case torn != 0:
			return fmt.Errorf("sales.wal entry %d does not read back, but entry %d after it does: %w", torn, i, errCorrupt)
		case !bytes.Equal(e.GetLogId(), s.logID):
			return fmt.Errorf("sales.wal belongs to another sales.db (log id %x, the file's %x); move it away to open the file as it is: %w", e.GetLogId(), s.logID, errCorrupt)
		case e.GetSeq() <= s.seq:
			return nil
		case e.GetSeq() != s.seq+1:
			return fmt.Errorf("sales.wal continues at entry %d, but sales.db holds entries up to %d (a file restored from an older backup?); move the log away to open the file as it is: %w", e.GetSeq(), s.seq, errCorrupt)
		}
		if err := s.begin(); err != nil {
			return err
		}
		n := len(s.live.t.newSales)
		if err := s.live.t.apply(e); err != nil {
			return err
		}
		s.live.sales += len(s.live.t.newSales) - n
		s.live.dirty = true
		s.seq = e.GetSeq()
		if atOpen {
			s.replayed.entries++
			s.replayed.sales += len(s.live.t.newSales) - n
		}
		if atOpen && s.live.sales >= s.cfg.flushSales {
			// In steps, so that a long log needs no more memory than
			// ingestion does; a crash in between replays from the step.
			return s.commitLocked()
		}
		return nil
	})
	if err != nil {
		return err
	}
	if torn != 0 {
		return s.wal.dropFrom(torn)
	}
	return nil
}

// begin opens the write transaction if none is open.
func (s *Store) begin() error {
	if s.live != nil {
		return nil
	}
	btx, err := s.db.Begin(true)
	if err != nil {
		return err
	}
	s.live = &liveTx{btx: btx, t: s.newTx(btx), began: time.Now()}
	return nil
}

// commitLocked commits the open transaction, if any, with the seq of the
// last entry it holds. If the commit fails, the entries are still in the
// log: they are replayed into a new transaction, so that readers keep
// seeing them, and the next commit tries again.
func (s *Store) commitLocked() error {
	l := s.live
	if l == nil {
		return nil
	}
	s.live = nil
	if !l.dirty {
		return l.btx.Rollback()
	}
	err := l.t.flush()
	if err == nil {
		err = l.btx.Bucket(bucketWAL).Put(appliedKey, u64(s.seq))
	}
	if err == nil {
		err = l.btx.Commit()
	} else {
		_ = l.btx.Rollback()
	}
	if err != nil {
		s.seq = s.applied
		if rerr := s.replay(false); rerr != nil {
			s.fail(rerr)
		}
		return err
	}
	s.dict.commit(&l.t.pending)
	s.applied = s.seq
	s.unapplied.Store(0)
	if err := s.wal.empty(false); err != nil {
		s.fail(err)
		return err
	}
	return nil
}

// fail marks the store broken: writes fail until a restart replays the log.
func (s *Store) fail(err error) {
	if s.broken == nil {
		s.broken = fmt.Errorf("the sales store stopped writing (restart the service): %w", err)
	}
	if s.live != nil {
		_ = s.live.btx.Rollback()
		s.live = nil
	}
}

// Replayed reports what Open took from the log that sales.db did not hold:
// log entries and the sales in them (0 after a clean stop).
func (s *Store) Replayed() (entries, sales int) { return s.replayed.entries, s.replayed.sales }

// Flush makes sales.db hold every answered write.
func (s *Store) Flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.commitLocked()
}

// flusher commits the open transaction once it is FlushEvery old.
func (s *Store) flusher() {
	defer close(s.stopped)
	t := time.NewTicker(max(s.cfg.flushEvery/4, time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.mu.Lock()
			if s.live != nil && time.Since(s.live.began) >= s.cfg.flushEvery {
				_ = s.commitLocked() // on failure the entries stay in the log and the next tick tries again
			}
			s.mu.Unlock()
		}
	}
}

// writeDirect runs fn in a bbolt write transaction of its own, after
// sales.db took every answered write, while no group commit runs (the
// indexer, traffic snapshots, secrets).
func (s *Store) writeDirect(fn func(*bolt.Tx) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.commitLocked(); err != nil {
		return err
	}
	return s.db.Update(fn)
}

// WriteSnapshot writes a consistent copy of the file to w while writes go
// on (alliance-admin backup). sales.db takes the log first, so the copy
// holds every sale answered before the backup began.
func (s *Store) WriteSnapshot(w io.Writer) (boltdb.Snapshot, error) {
	if err := s.Flush(); err != nil {
		return boltdb.Snapshot{}, err
	}
	return boltdb.WriteSnapshot(s.db, w)
}

// Close commits what the log holds, empties the log and closes both.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		close(s.stop)
		<-s.stopped
		s.mu.Lock()
		defer s.mu.Unlock()
		err := s.commitLocked()
		if s.live != nil {
			_ = s.live.btx.Rollback()
			s.live = nil
		}
		if err == nil && s.image.write != nil {
			ierr := s.writeImage()
			if s.image.done != nil {
				s.image.done(s.ImagePath(), ierr)
			}
		}
		if err == nil && s.broken == nil {
			err = s.wal.empty(true)
		}
		s.closeErr = errors.Join(err, s.wal.close(), s.db.Close())
	})
	return s.closeErr
}

// Secret returns the named random secret of the file (e.g. the page-token
// key), making it on first use.
func (s *Store) Secret(name string) ([]byte, error) {
	if err := s.Flush(); err != nil {
		return nil, err
	}
	return boltdb.Secret(s.db, name)
}

// Update implements ingest.Repo: fn's writes are one entry of the log,
// synced before Update returns, and sales.db takes them with the next
// commit of its open transaction; or, if fn fails, none of them count.
// Each group is told to the observer with the sales it stored.
func (s *Store) Update(fn func(ingest.Tx) error) error {
	return s.write(func() (int, error) { return s.update(fn) })
}

// write runs a group commit under mu and tells the observer of it.
func (s *Store) write(run func() (int, error)) error {
	start := time.Now()
	s.writing.Add(1)
	s.mu.Lock()
	n, err := run()
	now := time.Now()
	// Before writing drops: the indexer sees a running commit or a recent one.
	s.lastWrite.Store(now.UnixNano())
	s.mu.Unlock()
	s.writing.Add(-1)
	if s.observe != nil && (err != nil || n > 0) {
		s.observe(n, now.Sub(start), err)
	}
	return err
}

func (s *Store) update(fn func(ingest.Tx) error) (int, error) {
	if s.broken != nil {
		return 0, s.broken
	}
	if err := s.begin(); err != nil {
		return 0, err
	}
	lt := &loggingTx{tx: s.live.t}
	err := fn(lt)
	if err == nil && lt.sales >= directSales {
		// A large group (an import's) commits sales.db itself: bbolt's
		// fsyncs are shared by thousands of sales, and writing them to
		// the log as well would cost more than it saves.
		s.live.sales += lt.sales
		s.live.dirty = true
		if err = s.commitLocked(); err != nil {
			return 0, err
		}
		return lt.sales, nil
	}
	if err == nil && len(lt.ops) > 0 {
		if err = s.wal.append(lt.entry(s.logID, s.seq+1)); err != nil {
			// The entry may or may not be in the log: only a replay
			// after a restart can tell.
			s.fail(err)
			return 0, s.broken
		}
	}
	if err != nil {
		s.abort()
		return 0, err
	}
	if len(lt.ops) == 0 {
		return 0, nil
	}
	s.seq++
	s.unapplied.Store(s.seq - s.applied)
	s.live.sales += lt.sales
	s.live.dirty = true
	if s.live.sales >= s.cfg.flushSales {
		// The group is durable in the log whatever this commit does.
		_ = s.commitLocked()
	}
	return lt.sales, nil
}

// abort rolls back the open transaction, which holds a part of a failed
// group's writes, and replays the answered groups it held.
func (s *Store) abort() {
	_ = s.live.btx.Rollback()
	s.live = nil
	s.seq = s.applied
	if rerr := s.replay(false); rerr != nil {
		s.fail(rerr)
	}
}

// View implements ingest.Repo: while answered writes wait in the log, fn
// reads the open write transaction (one reader at a time, between group
// commits), so that it sees every one of them; otherwise a read
// transaction of sales.db of its own, beside a running group commit.
func (s *Store) View(fn func(ingest.ReadTx) error) error {
	if s.unapplied.Load() == 0 {
		// A group that runs now is not answered yet: a reader that
		// started before its answer may or may not see it, and this one
		// does not wait for it (attribution reads beside an import).
		return s.viewFile(fn)
	}
	s.mu.Lock()
	if s.live != nil {
		defer s.mu.Unlock()
		return fn(s.live.t)
	}
	btx, err := s.db.Begin(false)
	s.mu.Unlock()
	if err != nil {
		return err
	}
	defer func() { _ = btx.Rollback() }()
	return fn(s.newTx(btx))
}

func (s *Store) viewFile(fn func(ingest.ReadTx) error) error {
	return s.db.View(func(btx *bolt.Tx) error { return fn(s.newTx(btx)) })
}

// Check runs bbolt's consistency check over the whole file.
func (s *Store) Check() error {
	return s.db.View(func(btx *bolt.Tx) error {
		for err := range btx.Check() {
			return err
		}
		return nil
	})
}

// Size is the size of the file in bytes.
func (s *Store) Size() (int64, error) {
	var n int64
	err := s.db.View(func(btx *bolt.Tx) error { n = btx.Size(); return nil })
	return n, err
}

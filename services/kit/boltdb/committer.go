package boltdb

import (
	"time"

	bolt "go.etcd.io/bbolt"
)

// Committer shares one bbolt commit (one fsync) among the writes that
// arrive while the previous commit is in flight: group commit without the
// fixed delay of bolt's DB.Batch, so a lone write is never held back.
//
// Writes run one after another inside the shared transaction, so each one
// still sees every earlier write and checks-then-writes atomically. If one
// returns an error, the transaction is rolled back, that write runs again
// alone (its error goes to its caller), and the others are committed
// without it. A write function may therefore run more than once, and must
// not have effects outside the transaction.
type Committer struct {
	db *bolt.DB
	// Observe, when set (before the first Update), is told of every
	// commit; see Options.Observe.
	Observe CommitObserver

	group *Group[*write]
}

type write struct {
	fn   func(*bolt.Tx) error
	done chan error
}

// NewCommitter groups at most max writes per commit (1000 when max <= 0).
func NewCommitter(db *bolt.DB, max int) *Committer {
	if max <= 0 {
		max = 1000
	}
	c := &Committer{db: db}
	c.group = NewGroup(max, c.commit)
	return c
}

// Update runs fn in a write transaction shared with concurrent callers and
// returns once that transaction is durable, or with fn's error.
func (c *Committer) Update(fn func(*bolt.Tx) error) error {
	w := &write{fn: fn, done: make(chan error, 1)}
	if err := c.group.Submit(w, 1); err != nil {
		return err
	}
	return <-w.done
}

func (c *Committer) commit(batch []*write) {
	for len(batch) > 0 {
		failed := -1
		start := time.Now()
		err := c.db.Update(func(tx *bolt.Tx) error {
			for i, w := range batch {
				if err := w.fn(tx); err != nil {
					failed = i
					return err
				}
			}
			return nil
		})
		if failed < 0 {
			c.observe(len(batch), start, err)
			for _, w := range batch {
				w.done <- err // nil, or the commit's own failure for everyone
			}
			return
		}
		// Re-run the failing write alone so that its caller gets its own
		// answer, then commit the rest without it.
		solo := batch[failed]
		refused := false
		start = time.Now()
		err = c.db.Update(func(tx *bolt.Tx) error {
			err := solo.fn(tx)
			refused = err != nil
			return err
		})
		if !refused {
			c.observe(1, start, err)
		}
		solo.done <- err
		batch = append(batch[:failed:failed], batch[failed+1:]...)
	}
}

// CommitObserver is told of one commit: how many writes shared it, how
// long it took from the start of its transaction to the end of its fsync,
// and the commit's error. A write that refuses rolls its batch back: that
// attempt is no commit and is not reported, the commits after it are.
type CommitObserver func(writes int, took time.Duration, err error)

func (c *Committer) observe(writes int, start time.Time, err error) {
	if c.Observe != nil {
		c.Observe(writes, time.Since(start), err)
	}
}

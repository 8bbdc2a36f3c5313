package boltdb

import (
	"errors"
	"sync"
)

// Group is the one group-commit mechanism of the suite's stores: what is
// submitted while a batch is being committed waits, and goes into the next
// batch with everything else that arrived meanwhile, up to a total weight
// (max). One goroutine at a time runs batches, so a batch function owns the
// write transaction it opens, and concurrent writers share its fsync
// without the fixed delay of bolt's DB.Batch: a lone write is never held
// back.
//
// Committer is Group over write functions; sales ingestion groups its
// tickets (weighted by their lines) with a batch function that judges
// every line in one transaction.
type Group[T any] struct {
	max int
	run func(batch []T)

	mu      sync.Mutex
	pending []weighted[T]
	running bool
	closed  bool
	idle    chan struct{} // closed when running turns false after Close
}

type weighted[T any] struct {
	item T
	w    int
}

// ErrClosed is Submit's answer after Close.
var ErrClosed = errors.New("boltdb: the group commit is closed")

// NewGroup makes a group whose batches weigh at most max (an item heavier
// than max goes alone), each run by run.
func NewGroup[T any](max int, run func(batch []T)) *Group[T] {
	if max <= 0 {
		max = 1
	}
	return &Group[T]{max: max, run: run}
}

// Submit queues item for the next batch and returns at once; run tells
// the item's owner when it is done.
func (g *Group[T]) Submit(item T, weight int) error {
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return ErrClosed
	}
	g.pending = append(g.pending, weighted[T]{item, weight})
	start := !g.running
	g.running = true
	g.mu.Unlock()
	if start {
		go g.drain()
	}
	return nil
}

func (g *Group[T]) drain() {
	for {
		g.mu.Lock()
		if len(g.pending) == 0 {
			g.running = false
			if g.idle != nil {
				close(g.idle)
				g.idle = nil
			}
			g.mu.Unlock()
			return
		}
		n, w := 0, 0
		for n < len(g.pending) && (n == 0 || w+g.pending[n].w <= g.max) {
			w += g.pending[n].w
			n++
		}
		batch := make([]T, n)
		for i := range n {
			batch[i] = g.pending[i].item
		}
		g.pending = g.pending[n:]
		g.mu.Unlock()
		g.run(batch)
	}
}

// Close refuses further items and returns once every queued one has run.
func (g *Group[T]) Close() {
	g.mu.Lock()
	g.closed = true
	if !g.running {
		g.mu.Unlock()
		return
	}
	if g.idle == nil {
		g.idle = make(chan struct{})
	}
	idle := g.idle
	g.mu.Unlock()
	<-idle
}

package boltdb

import (
	"errors"
	"sync"
	"testing"
)

// TestGroupBatchesByWeightAndDrainsOnClose: concurrent submitters' items
// all run, once each, one batch at a time; no batch weighs more than max
// unless it is one item heavier than max; Close waits for every queued
// item and refuses later ones.
func TestGroupBatchesByWeightAndDrainsOnClose(t *testing.T) {
	const max, items = 10, 2000
	var mu sync.Mutex
	seen := map[int]int{}
	running := 0
	var g *Group[int]
	g = NewGroup(max, func(batch []int) {
		mu.Lock()
		running++
		if running != 1 {
			t.Errorf("%d batches run at once", running)
		}
		w := 0
		for _, it := range batch {
			seen[it]++
			w += weight(it)
		}
		if w > max && len(batch) > 1 {
			t.Errorf("a batch of %d items weighs %d, more than %d", len(batch), w, max)
		}
		running--
		mu.Unlock()
	})
	var wg sync.WaitGroup
	for s := range 8 {
		wg.Go(func() {
			for i := s; i < items; i += 8 {
				if err := g.Submit(i, weight(i)); err != nil {
					t.Errorf("submit %d: %v", i, err)
				}
			}
		})
	}
	wg.Wait()
	g.Close()
	mu.Lock()
	defer mu.Unlock()
	for i := range items {
		if seen[i] != 1 {
			t.Fatalf("item %d ran %d times before Close returned, want once", i, seen[i])
		}
	}
	if err := g.Submit(-1, 1); !errors.Is(err, ErrClosed) {
		t.Fatalf("submit after Close: %v, want ErrClosed", err)
	}
}

// weight makes every 97th item heavier than a whole batch.
func weight(i int) int {
	if i%97 == 0 {
		return 25
	}
	return 1 + i%4
}

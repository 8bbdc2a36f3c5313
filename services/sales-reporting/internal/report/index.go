package report

// Every record of the engine belongs to one session, so each session keeps
// the index of its own records: a short list it scans, and a hash map only
// once it holds many. A merge looks up four records of one session (its
// cell, month cell, day and month records); in a list of a few dozen
// entries side by side these are a few cache lines, where four hash maps
// of millions of entries cost a cache miss each: those misses were a
// quarter of start-up.

// Kinds of record a session indexes.
const (
	kindCell  int32 = iota // a: product id, b: day
	kindDay                // a: session attribution, b: day
	kindMonth              // a: session attribution, b: month's first day
	kindMCell              // a: session attribution, b: month's first day, c: product attribution
	kindCount
)

type recKey struct{ kind, a, b, c int32 }

type recEntry struct {
	recKey
	idx int32 // index in its day's or month's cells or days
}

// indexBig is the length of list past which a session's index becomes a
// map.
const indexBig = 48

type recIndex struct {
	list []recEntry
	big  map[recKey]int32
}

func (x *recIndex) find(k recKey) (int32, bool) {
	if x.big != nil {
		i, ok := x.big[k]
		return i, ok
	}
	for i := range x.list {
		if x.list[i].recKey == k {
			return x.list[i].idx, true
		}
	}
	return 0, false
}

func (x *recIndex) add(k recKey, idx int32) {
	if x.big != nil {
		x.big[k] = idx
		return
	}
	x.list = append(x.list, recEntry{k, idx})
	if len(x.list) > indexBig {
		x.big = make(map[recKey]int32, 2*len(x.list))
		for _, e := range x.list {
			x.big[e.recKey] = e.idx
		}
		x.list = nil
	}
}

// lookup is session sid's record of key k.
func (e *Engine) lookup(sid int32, k recKey) (int32, bool) { return e.index[sid].find(k) }

// file indexes a new record of session sid.
func (e *Engine) file(sid int32, k recKey, idx int32) {
	e.index[sid].add(k, idx)
	e.counts[k.kind]++
}

// compact moves the sessions' short indexes into one array of their exact
// length, giving back what appending left unused (a load ends with it).
func (e *Engine) compact() {
	n := 0
	for i := range e.index {
		n += len(e.index[i].list)
	}
	all := make([]recEntry, 0, n)
	for i := range e.index {
		x := &e.index[i]
		if x.list == nil {
			continue
		}
		at := len(all)
		all = append(all, x.list...)
		x.list = all[at:len(all):len(all)]
	}
	for _, list := range [][]*dayData{e.byDay, e.byMonth} {
		for _, dd := range list {
			dd.cells = clip(dd.cells)
			dd.days = clip(dd.days)
		}
	}
}

// clip is s in an array of its length, when appending left a quarter or
// more unused.
func clip[T any](s []T) []T {
	if cap(s)-len(s) < cap(s)/4 {
		return s
	}
	return append(make([]T, 0, len(s)), s...)
}

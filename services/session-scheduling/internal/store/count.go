package store

import (
	"bytes"
	"encoding/binary"
	"time"

	"github.com/cqlive/alliance/services/session-scheduling/internal/scheduling"
	bolt "go.etcd.io/bbolt"
)

// Count answers CountSessions without reading sessions in the common
// cases. A time range is split into whole UTC hours, summed from the hourly
// counters, and the partial hours at its edges, counted from the index. A
// year is then some 8,760 counter reads and two hours of index, however many
// sessions it holds. Only a filter on both start and end time reads
// sessions: the ENDED ones in the end-time range.
func (t txn) Count(f scheduling.CountFilter) (int64, error) {
	byEnd := !f.EndFrom.IsZero() || !f.EndTo.IsZero()
	byStart := !f.StartFrom.IsZero() || !f.StartTo.IsZero()
	if byEnd {
		if f.State != scheduling.StateUnspecified && f.State != scheduling.StateEnded {
			return 0, nil // only ENDED sessions have an actual end time
		}
		if byStart {
			return t.countEndedStarted(f)
		}
		return t.countRange(t.tx.Bucket(bucketByEnd), t.tx.Bucket(bucketCountEnd), nil, f.EndFrom, f.EndTo, nil)
	}
	states := []scheduling.State{f.State}
	if f.State == scheduling.StateUnspecified {
		states = states[:0]
		for st := scheduling.StateScheduled; st <= scheduling.LastState; st++ {
			states = append(states, st)
		}
	}
	var total int64
	for _, st := range states {
		n, err := t.countRange(t.tx.Bucket(bucketByStart), t.tx.Bucket(bucketCountStart), []byte{byte(st)}, f.StartFrom, f.StartTo, []byte{byte(st)})
		if err != nil {
			return 0, err
		}
		total += n
	}
	return total, nil
}

// countRange counts the entries of index in [from, to) (zero bounds are
// open) whose value is want (nil: any), using the hourly counters under
// counterPrefix for every whole hour.
func (t txn) countRange(index, counters *bolt.Bucket, counterPrefix []byte, from, to time.Time, want []byte) (int64, error) {
	// [firstHour, lastHour) is the run of whole hours inside [from, to).
	firstHour, lastHour := from, to
	if !from.IsZero() {
		firstHour = hourOf(from)
		if firstHour.Before(from) {
			firstHour = firstHour.Add(time.Hour)
		}
	}
	if !to.IsZero() {
		lastHour = hourOf(to)
	}
	if !from.IsZero() && !to.IsZero() && !firstHour.Before(lastHour) {
		return countIndex(index, from, to, want), nil
	}
	var n int64
	if !from.IsZero() {
		n += countIndex(index, from, firstHour, want)
	}
	n += sumCounters(counters, counterPrefix, firstHour, !from.IsZero(), lastHour, !to.IsZero())
	if !to.IsZero() {
		n += countIndex(index, lastHour, to, want)
	}
	return n, nil
}

// countIndex counts index entries keyed by a time in [from, to).
func countIndex(index *bolt.Bucket, from, to time.Time, want []byte) int64 {
	if !from.Before(to) {
		return 0
	}
	upper := timeKey(to)
	var n int64
	c := index.Cursor()
	for k, v := c.Seek(timeKey(from)); k != nil && bytes.Compare(k, upper) < 0; k, v = c.Next() {
		if want == nil || bytes.Equal(v, want) {
			n++
		}
	}
	return n
}

// sumCounters adds the counters under prefix for hours in [from, to). A
// bound is open when it is not set; a set bound may be the zero time (the
// hour of 0001-01-01T00:00:00.000000001Z is), so it says so apart.
func sumCounters(counters *bolt.Bucket, prefix []byte, from time.Time, hasFrom bool, to time.Time, hasTo bool) int64 {
	lower := prefix
	if hasFrom {
		lower = cat(prefix, timeKey(from))
	}
	var upper []byte
	if hasTo {
		upper = cat(prefix, timeKey(to))
	}
	var n int64
	c := counters.Cursor()
	for k, v := c.Seek(lower); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if upper != nil && bytes.Compare(k, upper) >= 0 {
			break
		}
		n += int64(binary.BigEndian.Uint64(v))
	}
	return n
}

// countEndedStarted walks the ENDED sessions of the end-time range and
// checks their start times.
func (t txn) countEndedStarted(f scheduling.CountFilter) (int64, error) {
	lower := []byte{}
	if !f.EndFrom.IsZero() {
		lower = timeKey(f.EndFrom)
	}
	var upper []byte
	if !f.EndTo.IsZero() {
		upper = timeKey(f.EndTo)
	}
	var n int64
	c := t.tx.Bucket(bucketByEnd).Cursor()
	for k, _ := c.Seek(lower); k != nil; k, _ = c.Next() {
		if upper != nil && bytes.Compare(k, upper) >= 0 {
			break
		}
		_, id, err := parseIndexKey(nil, k)
		if err != nil {
			return 0, err
		}
		s, err := t.Session(id)
		if err != nil {
			return 0, err
		}
		if s == nil {
			continue
		}
		if (f.StartFrom.IsZero() || !s.Start.Before(f.StartFrom)) && (f.StartTo.IsZero() || s.Start.Before(f.StartTo)) {
			n++
		}
	}
	return n, nil
}

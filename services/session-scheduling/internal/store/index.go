package store

import (
	"bytes"
	"encoding/binary"
	"time"

	"github.com/cqlive/alliance/services/kit/timekey"
	"github.com/cqlive/alliance/services/session-scheduling/internal/scheduling"
	bolt "go.etcd.io/bbolt"
)

func timeKey(t time.Time) []byte { return timekey.Key(t) }

func hourOf(t time.Time) time.Time { return t.UTC().Truncate(time.Hour) }

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func ownerPrefix(owner string) []byte { return append([]byte(owner), 0) }

// indexKey is the key of an index entry: prefix (an owner's, or none),
// the time key, then the id. The time key has a fixed length, so under one
// prefix the keys sort as (time, id) do.
func indexKey(prefix []byte, t time.Time, id string) []byte {
	k := make([]byte, 0, len(prefix)+timekey.Size+len(id))
	return append(timekey.AppendKey(append(k, prefix...), t), id...)
}

// parseIndexKey reads what indexKey wrote under prefix.
func parseIndexKey(prefix, k []byte) (time.Time, string, error) {
	if !bytes.HasPrefix(k, prefix) {
		return time.Time{}, "", timekey.ErrCorrupt
	}
	t, err := timekey.ParseKey(k[len(prefix):])
	if err != nil {
		return time.Time{}, "", err
	}
	return t, string(k[len(prefix)+timekey.Size:]), nil
}

// entry is one index entry (count false) or one hourly counter that a
// session adds one to (count true, val unused).
type entry struct {
	bucket, key, val []byte
	count            bool
}

// entries is how a session is indexed, in one place.
func entries(s *scheduling.Session) []entry {
	state := []byte{byte(s.State)}
	brief := briefValue(s)
	out := make([]entry, 0, 8)
	out = append(out,
		entry{bucket: bucketByStart, key: indexKey(nil, s.Start, s.ID), val: state},
		entry{bucket: bucketByStudio, key: indexKey(ownerPrefix(s.Studio), s.Start, s.ID)},
		entry{bucket: bucketByHost, key: indexKey(ownerPrefix(s.Host), s.Start, s.ID), val: brief},
		entry{bucket: bucketCountStart, key: cat(state, timeKey(hourOf(s.Start))), count: true},
	)
	if s.Agency != "" {
		out = append(out, entry{bucket: bucketByAgency, key: indexKey(ownerPrefix(s.Agency), s.Start, s.ID), val: brief})
	}
	switch s.State {
	case scheduling.StateScheduled, scheduling.StatePendingApproval:
		out = append(out, entry{bucket: bucketOpen, key: indexKey(nil, s.Start, s.ID), val: state})
	case scheduling.StateEnded:
		out = append(out,
			entry{bucket: bucketByEnd, key: indexKey(nil, s.ActualEnd, s.ID), val: state},
			entry{bucket: bucketCountEnd, key: timeKey(hourOf(s.ActualEnd)), count: true})
	}
	return out
}

// briefValue is the value of a session's entries in the host and agency
// indexes: state (1 byte), time key of its end, its studio. The quotas
// count from them without reading a session.
func briefValue(s *scheduling.Session) []byte {
	v := make([]byte, 0, 1+timekey.Size+len(s.Studio))
	return append(timekey.AppendKey(append(v, byte(s.State)), s.End), s.Studio...)
}

// parseBrief reads an entry of the host or agency index.
func parseBrief(prefix, k, v []byte) (scheduling.Brief, error) {
	start, id, err := parseIndexKey(prefix, k)
	if err != nil || len(v) < 1+timekey.Size {
		return scheduling.Brief{}, timekey.ErrCorrupt
	}
	end, err := timekey.ParseKey(v[1:])
	if err != nil {
		return scheduling.Brief{}, err
	}
	return scheduling.Brief{ID: id, Studio: string(v[1+timekey.Size:]), Start: start, End: end, State: scheduling.State(v[0])}, nil
}

// reindex moves the entries and counts of a session from those of its
// stored version old (nil: none) to those of s, touching only what
// changed: an update of a title rewrites no index.
func reindex(tx *bolt.Tx, old, s *scheduling.Session) error {
	var before []entry
	if old != nil {
		before = entries(old)
	}
	after := entries(s)
	// What only the old version has goes, then what only the new one has
	// comes.
	if err := change(tx, before, after, -1); err != nil {
		return err
	}
	return change(tx, after, before, 1)
}

// change applies the entries of from that keep does not have: a count
// moves by delta, any other entry is deleted (delta < 0) or put.
func change(tx *bolt.Tx, from, keep []entry, delta int64) error {
	for _, e := range from {
		if has(keep, e) {
			continue
		}
		var err error
		switch {
		case e.count:
			err = bump(tx.Bucket(e.bucket), e.key, delta)
		case delta < 0:
			err = tx.Bucket(e.bucket).Delete(e.key)
		default:
			err = tx.Bucket(e.bucket).Put(e.key, e.val)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func has(list []entry, e entry) bool {
	for _, o := range list {
		if o.count == e.count && bytes.Equal(o.bucket, e.bucket) && bytes.Equal(o.key, e.key) && bytes.Equal(o.val, e.val) {
			return true
		}
	}
	return false
}

// bump adds delta to a counter; a counter that reaches zero is deleted so
// the counter buckets hold only hours that have sessions.
func bump(b *bolt.Bucket, key []byte, delta int64) error {
	var n int64
	if v := b.Get(key); v != nil {
		n = int64(binary.BigEndian.Uint64(v))
	}
	n += delta
	if n <= 0 {
		return b.Delete(key)
	}
	return b.Put(key, binary.BigEndian.AppendUint64(nil, uint64(n)))
}

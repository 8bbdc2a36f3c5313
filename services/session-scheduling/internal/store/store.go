// Package store keeps the session scheduler in one bbolt file. Sessions are
// JSON-encoded domain records keyed by id. Beside them the store keeps
// start-time indexes (all sessions, per studio, per host), an index of
// actual end times, and per-hour counters, all written in the transaction
// that writes the session.
package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"time"

	"github.com/cqlive/alliance/services/kit/boltdb"
	"github.com/cqlive/alliance/services/session-scheduling/internal/scheduling"
	bolt "go.etcd.io/bbolt"
)

// Every bucket of the file, in one place. A "time key" is 8 bytes,
// big-endian, of the Unix nanoseconds with the sign bit flipped, so keys
// sort like times.
var (
	bucketSessions   = []byte("sessions")    // id -> Session (JSON)
	bucketByStart    = []byte("by_start")    // time key(start) id -> state (1 byte)
	bucketByStudio   = []byte("by_studio")   // studio 0x00 time key(start) id -> nil
	bucketByHost     = []byte("by_host")     // host 0x00 time key(start) id -> nil
	bucketByEnd      = []byte("by_end")      // time key(actual end) id -> state; ENDED sessions only
	bucketCountStart = []byte("count_start") // state (1 byte) time key(UTC hour of start) -> uint64
	bucketCountEnd   = []byte("count_end")   // time key(UTC hour of actual end) -> uint64; ENDED only
	bucketStats      = []byte("stats")       // "longest" -> int64 ns
	bucketRequests   = []byte("requests")    // "session/" request id -> session name
)

var keyLongest = []byte("longest")

// Schema of session.db. Version 1 is the first.
var Schema = boltdb.Schema{
	Version: 1,
	Buckets: [][]byte{bucketSessions, bucketByStart, bucketByStudio, bucketByHost, bucketByEnd,
		bucketCountStart, bucketCountEnd, bucketStats, bucketRequests},
}

// Store implements scheduling.Repo on bbolt.
type Store struct {
	*boltdb.Store[scheduling.Tx]
}

// Open opens (or creates) the file.
func Open(path string, o boltdb.Options) (*Store, error) {
	st, err := boltdb.OpenStore(path, Schema, o, func(tx *bolt.Tx) scheduling.Tx { return txn{tx} })
	if err != nil {
		return nil, err
	}
	return &Store{st}, nil
}

type txn struct{ tx *bolt.Tx }

func timeKey(t time.Time) []byte {
	return binary.BigEndian.AppendUint64(nil, uint64(t.UnixNano())^(1<<63))
}

func hourOf(t time.Time) time.Time { return t.UTC().Truncate(time.Hour) }

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func ownerPrefix(owner string) []byte { return append([]byte(owner), 0) }

func (t txn) Session(id string) (*scheduling.Session, error) {
	raw := t.tx.Bucket(bucketSessions).Get([]byte(id))
	if raw == nil {
		return nil, nil
	}
	s := new(scheduling.Session)
	if err := json.Unmarshal(raw, s); err != nil {
		return nil, err
	}
	return s, nil
}

// PutSession writes s and moves its index entries and counts from the
// stored version, if any, to the new one.
func (t txn) PutSession(s *scheduling.Session) error {
	old, err := t.Session(s.ID)
	if err != nil {
		return err
	}
	if old != nil {
		if err := t.index(old, false); err != nil {
			return err
		}
	}
	if err := t.index(s, true); err != nil {
		return err
	}
	raw, err := json.Marshal(s)
	if err != nil {
		return err
	}
	if err := t.tx.Bucket(bucketSessions).Put([]byte(s.ID), raw); err != nil {
		return err
	}
	longest, err := t.Longest()
	if err != nil {
		return err
	}
	if s.Length() > longest {
		return t.tx.Bucket(bucketStats).Put(keyLongest, binary.BigEndian.AppendUint64(nil, uint64(s.Length())))
	}
	return nil
}

// index adds (add) or removes every index entry and count of s.
func (t txn) index(s *scheduling.Session, add bool) error {
	id := []byte(s.ID)
	start := timeKey(s.Start)
	state := []byte{byte(s.State)}
	put := func(bucket, key, val []byte) error {
		if add {
			return t.tx.Bucket(bucket).Put(key, val)
		}
		return t.tx.Bucket(bucket).Delete(key)
	}
	delta := int64(1)
	if !add {
		delta = -1
	}
	if err := put(bucketByStart, cat(start, id), state); err != nil {
		return err
	}
	if err := put(bucketByStudio, cat(ownerPrefix(s.Studio), start, id), nil); err != nil {
		return err
	}
	if err := put(bucketByHost, cat(ownerPrefix(s.Host), start, id), nil); err != nil {
		return err
	}
	if err := bump(t.tx.Bucket(bucketCountStart), cat(state, timeKey(hourOf(s.Start))), delta); err != nil {
		return err
	}
	if s.State == scheduling.StateEnded {
		if err := put(bucketByEnd, cat(timeKey(s.ActualEnd), id), state); err != nil {
			return err
		}
		if err := bump(t.tx.Bucket(bucketCountEnd), timeKey(hourOf(s.ActualEnd)), delta); err != nil {
			return err
		}
	}
	return nil
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

func (t txn) Longest() (time.Duration, error) {
	v := t.tx.Bucket(bucketStats).Get(keyLongest)
	if v == nil {
		return 0, nil
	}
	return time.Duration(binary.BigEndian.Uint64(v)), nil
}

// Sessions walks one start-time index between q.From and q.To.
func (t txn) Sessions(q scheduling.Scan, fn func(*scheduling.Session) bool) error {
	var b *bolt.Bucket
	var prefix []byte
	switch {
	case q.Studio != "":
		b, prefix = t.tx.Bucket(bucketByStudio), ownerPrefix(q.Studio)
	case q.Host != "":
		b, prefix = t.tx.Bucket(bucketByHost), ownerPrefix(q.Host)
	default:
		b, prefix = t.tx.Bucket(bucketByStart), nil
	}
	lower := prefix
	if !q.From.IsZero() {
		lower = cat(prefix, timeKey(q.From))
	}
	var after []byte
	if !q.After.IsZero() {
		after = cat(prefix, timeKey(q.After.Start), []byte(q.After.ID))
		if bytes.Compare(after, lower) > 0 {
			lower = after
		}
	}
	var upper []byte
	if !q.To.IsZero() {
		upper = cat(prefix, timeKey(q.To))
	}
	c := b.Cursor()
	for k, _ := c.Seek(lower); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		if upper != nil && bytes.Compare(k, upper) >= 0 {
			break
		}
		if after != nil && bytes.Equal(k, after) {
			continue
		}
		s, err := t.Session(string(k[len(prefix)+8:]))
		if err != nil {
			return err
		}
		if s != nil && !fn(s) {
			return nil
		}
	}
	return nil
}

func (t txn) Request(key string) (string, error) {
	return string(t.tx.Bucket(bucketRequests).Get([]byte(key))), nil
}

func (t txn) PutRequest(key, name string) error {
	return t.tx.Bucket(bucketRequests).Put([]byte(key), []byte(name))
}

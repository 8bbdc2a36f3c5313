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
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/cqlive/alliance/services/kit/boltdb"
	"github.com/cqlive/alliance/services/kit/timekey"
	"github.com/cqlive/alliance/services/session-scheduling/internal/scheduling"
	bolt "go.etcd.io/bbolt"
)

// Every bucket of the file, in one place. A "time key" is kit/timekey's
// 12-byte Key, exact and sorted over the whole Timestamp range. (Schema 1
// used 8 bytes of Unix nanoseconds, which wrap outside 1677-2262.)
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

// derived are the buckets computed from the sessions: the indexes and
// the counters. A migration that changes their encoding rebuilds them.
var derived = [][]byte{bucketByStart, bucketByStudio, bucketByHost, bucketByEnd, bucketCountStart, bucketCountEnd}

// Schema of session.db. Version 1 keyed times by Unix nanoseconds;
// version 2 by kit/timekey.
var Schema = boltdb.Schema{
	Version: 2,
	Buckets: append([][]byte{bucketSessions, bucketStats, bucketRequests}, derived...),
	Migrations: []boltdb.Migration{
		{From: 1, Run: reindex},
	},
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

func timeKey(t time.Time) []byte { return timekey.Key(t) }

// reindex rebuilds every index and counter from the session records, in
// the current encoding. The records themselves hold their times as
// RFC 3339 text, exact over the whole Timestamp range, so they are read
// as they are; the index keys of schema 1 are thrown away, wrapped or not.
//
// The entries are collected and written in key order: within one bbolt
// transaction a node is split only at commit, so writing a large bucket
// in random order costs time quadratic in its size (184,000 sessions took
// two minutes), and in order it is an append.
func reindex(tx *bolt.Tx) error {
	for _, name := range derived {
		if tx.Bucket(name) != nil {
			if err := tx.DeleteBucket(name); err != nil {
				return err
			}
		}
		if _, err := tx.CreateBucket(name); err != nil {
			return err
		}
	}
	sessions := tx.Bucket(bucketSessions)
	if sessions == nil {
		return nil
	}
	type entry struct{ key, val []byte }
	index := map[string][]entry{}
	counts := map[string]map[string]int64{}
	err := sessions.ForEach(func(id, raw []byte) error {
		s := new(scheduling.Session)
		if err := json.Unmarshal(raw, s); err != nil {
			return fmt.Errorf("session %q: %w", id, err)
		}
		return entries(s, func(bucket, key, val []byte) error {
			index[string(bucket)] = append(index[string(bucket)], entry{key, val})
			return nil
		}, func(bucket, key []byte) error {
			if counts[string(bucket)] == nil {
				counts[string(bucket)] = map[string]int64{}
			}
			counts[string(bucket)][string(key)]++
			return nil
		})
	})
	if err != nil {
		return err
	}
	for name, list := range index {
		slices.SortFunc(list, func(a, b entry) int { return bytes.Compare(a.key, b.key) })
		b := tx.Bucket([]byte(name))
		for _, e := range list {
			if err := b.Put(e.key, e.val); err != nil {
				return err
			}
		}
	}
	for name, m := range counts {
		b := tx.Bucket([]byte(name))
		for _, key := range slices.Sorted(maps.Keys(m)) {
			if err := b.Put([]byte(key), binary.BigEndian.AppendUint64(nil, uint64(m[key]))); err != nil {
				return err
			}
		}
	}
	return nil
}

func hourOf(t time.Time) time.Time { return t.UTC().Truncate(time.Hour) }

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func ownerPrefix(owner string) []byte { return append([]byte(owner), 0) }

// indexKey is the key of an index entry: prefix (an owner's, or none),
// the time key, then the id. The time key has a fixed length, so under one
// prefix the keys sort as (time, id) do; member names hold no 0x00, so
// one owner's prefix never begins another's.
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
	delta := int64(1)
	if !add {
		delta = -1
	}
	return entries(s, func(bucket, key, val []byte) error {
		if add {
			return t.tx.Bucket(bucket).Put(key, val)
		}
		return t.tx.Bucket(bucket).Delete(key)
	}, func(bucket, key []byte) error {
		return bump(t.tx.Bucket(bucket), key, delta)
	})
}

// entries is how a session is indexed, in one place: it calls put for
// each index entry of s and count for each hourly counter s adds one to.
func entries(s *scheduling.Session, put func(bucket, key, val []byte) error, count func(bucket, key []byte) error) error {
	state := []byte{byte(s.State)}
	if err := put(bucketByStart, indexKey(nil, s.Start, s.ID), state); err != nil {
		return err
	}
	if err := put(bucketByStudio, indexKey(ownerPrefix(s.Studio), s.Start, s.ID), nil); err != nil {
		return err
	}
	if err := put(bucketByHost, indexKey(ownerPrefix(s.Host), s.Start, s.ID), nil); err != nil {
		return err
	}
	if err := count(bucketCountStart, cat(state, timeKey(hourOf(s.Start)))); err != nil {
		return err
	}
	if s.State == scheduling.StateEnded {
		if err := put(bucketByEnd, indexKey(nil, s.ActualEnd, s.ID), state); err != nil {
			return err
		}
		if err := count(bucketCountEnd, timeKey(hourOf(s.ActualEnd))); err != nil {
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
		after = indexKey(prefix, q.After.Start, q.After.ID)
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
		_, id, err := parseIndexKey(prefix, k)
		if err != nil {
			return fmt.Errorf("session index entry %q: %w", k, err)
		}
		s, err := t.Session(id)
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

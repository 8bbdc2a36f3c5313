package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/cqlive/alliance/services/session-scheduling/internal/scheduling"
	bolt "go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"
)

// txn is the domain's Tx over one bbolt transaction. Every method takes
// the transaction it is given, so the domain decides what commits together.
type txn struct{ tx *bolt.Tx }

func (t txn) Session(id string) (*scheduling.Session, error) {
	return getRecord(t.tx.Bucket(bucketSessions), id, decodeSession)
}

// PutSession writes s and moves its index entries and counts from the
// stored version, if any, to the new one.
func (t txn) PutSession(s *scheduling.Session) error {
	old, err := t.Session(s.ID)
	if err != nil {
		return err
	}
	if err := reindex(t.tx, old, s); err != nil {
		return err
	}
	raw, err := encodeSession(s)
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

func (t txn) Longest() (time.Duration, error) {
	v := t.tx.Bucket(bucketStats).Get(keyLongest)
	if v == nil {
		return 0, nil
	}
	return time.Duration(binary.BigEndian.Uint64(v)), nil
}

// Sessions walks one start-time index between q.From and q.To.
func (t txn) Sessions(q scheduling.Scan, fn func(*scheduling.Session) bool) error {
	b, prefix, party := t.partyIndex(q)
	switch {
	case q.Studio != "":
		b, prefix = t.tx.Bucket(bucketByStudio), ownerPrefix(q.Studio)
	case !party:
		b, prefix = t.tx.Bucket(bucketByStart), nil
	}
	return t.walk(b, prefix, q.From, q.To, q.After, fn)
}

// partyIndex is the index of the host or (failing that) the agency the
// scan names, and the prefix of its entries; false if it names neither.
func (t txn) partyIndex(q scheduling.Scan) (*bolt.Bucket, []byte, bool) {
	switch {
	case q.Host != "":
		return t.tx.Bucket(bucketByHost), ownerPrefix(q.Host), true
	case q.Agency != "":
		return t.tx.Bucket(bucketByAgency), ownerPrefix(q.Agency), true
	}
	return nil, nil, false
}

// walk reads the sessions of index b under prefix with start times in
// [from, to) (zero bounds are open), strictly after the cursor after.
func (t txn) walk(b *bolt.Bucket, prefix []byte, from, to time.Time, after scheduling.Cursor, fn func(*scheduling.Session) bool) error {
	lower := prefix
	if !from.IsZero() {
		lower = cat(prefix, timeKey(from))
	}
	var skip []byte
	if !after.IsZero() {
		skip = indexKey(prefix, after.Start, after.ID)
		if bytes.Compare(skip, lower) > 0 {
			lower = skip
		}
	}
	var upper []byte
	if !to.IsZero() {
		upper = cat(prefix, timeKey(to))
	}
	c := b.Cursor()
	for k, _ := c.Seek(lower); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		if upper != nil && bytes.Compare(k, upper) >= 0 {
			break
		}
		if skip != nil && bytes.Equal(k, skip) {
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

// Briefs walks the host's or the agency's index as Sessions does, telling
// each session as its entry does.
func (t txn) Briefs(q scheduling.Scan, fn func(scheduling.Brief) bool) error {
	b, prefix, party := t.partyIndex(q)
	if !party {
		return fmt.Errorf("briefs of a host or an agency only")
	}
	c := b.Cursor()
	upper := cat(prefix, timeKey(q.To))
	for k, v := c.Seek(cat(prefix, timeKey(q.From))); k != nil && bytes.Compare(k, upper) < 0; k, v = c.Next() {
		brief, err := parseBrief(prefix, k, v)
		if err != nil {
			return fmt.Errorf("session index entry %q: %w", k, err)
		}
		if !fn(brief) {
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

// Open walks the index of SCHEDULED and PENDING_APPROVAL sessions.
func (t txn) Open(before time.Time, fn func(*scheduling.Session) bool) error {
	return t.walk(t.tx.Bucket(bucketOpen), nil, time.Time{}, before, scheduling.Cursor{}, fn)
}

func (t txn) Policy(studio string) (*scheduling.Policy, error) {
	return getRecord(t.tx.Bucket(bucketPolicies), studio, decodePolicy)
}

func (t txn) PutPolicy(p *scheduling.Policy) error {
	return putRecord(t.tx.Bucket(bucketPolicies), p.Studio, policyRecord(p))
}

func (t txn) Series(id string) (*scheduling.Series, error) {
	return getRecord(t.tx.Bucket(bucketSeries), id, decodeSeries)
}

func (t txn) PutSeries(s *scheduling.Series) error {
	return putRecord(t.tx.Bucket(bucketSeries), s.ID, seriesRecord(s))
}

// getRecord decodes the record at key of b; nil when there is none.
func getRecord[T any](b *bolt.Bucket, key string, decode func(key string, raw []byte) (*T, error)) (*T, error) {
	raw := b.Get([]byte(key))
	if raw == nil {
		return nil, nil
	}
	return decode(key, raw)
}

// putRecord stores rec at key of b.
func putRecord(b *bolt.Bucket, key string, rec proto.Message) error {
	raw, err := proto.Marshal(rec)
	if err != nil {
		return err
	}
	return b.Put([]byte(key), raw)
}

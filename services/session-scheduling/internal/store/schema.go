// Package store keeps the session scheduler in one bbolt file, session.db.
// Its records are the protobuf messages of alliance.session.store.v1
// (proto/alliance/session/store/v1/records.proto); beside them it keeps
// start-time indexes (all sessions, per studio, per host, per agency, the
// sessions a sweep may have to move), an index of actual end times and
// per-hour counters, all written in the transaction that writes the
// session. Only this package sees bbolt: schema.go lists the buckets,
// tx.go is the domain's Tx over a bbolt transaction, codec.go turns
// records into domain values and back, index.go says how a session is
// indexed, count.go answers counts, migrate.go moves older files on.
package store

import (
	"github.com/cqlive/alliance/services/kit/boltdb"
	"github.com/cqlive/alliance/services/session-scheduling/internal/scheduling"
	bolt "go.etcd.io/bbolt"
)

// Every bucket of the file, in one place, each as "key -> value". A "time
// key" is kit/timekey's 12-byte Key, exact and sorted over the whole
// Timestamp range; an owner is a member or studio name, which holds no
// 0x00, so one owner's prefix never begins another's.
var (
	bucketSessions   = []byte("sessions")    // session id -> storev1.Session
	bucketByStart    = []byte("by_start")    // time key(start) session id -> state (1 byte)
	bucketByStudio   = []byte("by_studio")   // studio 0x00 time key(start) session id -> nil
	bucketByHost     = []byte("by_host")     // host 0x00 time key(start) session id -> brief: state (1 byte), time key(end), studio; what a quota counts
	bucketByAgency   = []byte("by_agency")   // agency 0x00 time key(start) session id -> brief (as by_host); sessions booked for an agency's host
	bucketByEnd      = []byte("by_end")      // time key(actual end) session id -> state; ENDED sessions only
	bucketOpen       = []byte("open")        // time key(start) session id -> state; SCHEDULED and PENDING_APPROVAL only: what the no-show sweep reads
	bucketCountStart = []byte("count_start") // state (1 byte) time key(UTC hour of start) -> uint64 count
	bucketCountEnd   = []byte("count_end")   // time key(UTC hour of actual end) -> uint64 count; ENDED only
	bucketStats      = []byte("stats")       // "longest" -> int64 ns, the longest planned length ever stored
	bucketRequests   = []byte("requests")    // "session/" or "series/" request id -> the name it made
	bucketPolicies   = []byte("policies")    // studio name -> storev1.StudioPolicy
	bucketSeries     = []byte("series")      // series id -> storev1.Series
)

var keyLongest = []byte("longest")

// derived are the buckets computed from the sessions: the indexes and the
// counters. A migration that changes their encoding rebuilds them.
var derived = [][]byte{bucketByStart, bucketByStudio, bucketByHost, bucketByAgency, bucketByEnd, bucketOpen, bucketCountStart, bucketCountEnd}

// Schema of session.db. Version 1 keyed times by Unix nanoseconds;
// version 2 by kit/timekey, with JSON records; version 3 has protobuf
// records, studio policies, series and the indexes by agency and of open
// sessions.
var Schema = boltdb.Schema{
	Version: 3,
	Buckets: append([][]byte{bucketSessions, bucketStats, bucketRequests, bucketPolicies, bucketSeries}, derived...),
	Migrations: []boltdb.Migration{
		{From: 1, Run: fromSchemaOne},
		{From: 2, Run: fromSchemaTwo},
	},
}

// Store implements scheduling.Repo on bbolt. The bbolt file stays inside:
// app asks the store for what it needs of it (Secret).
type Store struct {
	s *boltdb.Store[scheduling.Tx]
}

// Open opens (or creates) the file, migrating an older one.
func Open(path string, o boltdb.Options) (*Store, error) {
	st, err := boltdb.OpenStore(path, Schema, o, func(tx *bolt.Tx) scheduling.Tx { return txn{tx} })
	if err != nil {
		return nil, err
	}
	return &Store{s: st}, nil
}

// View runs fn in a read transaction.
func (st *Store) View(fn func(scheduling.Tx) error) error { return st.s.View(fn) }

// Update runs fn in a write transaction that concurrent writers share
// (kit/boltdb's Committer): fn may run more than once, and nothing it
// wrote is kept when it fails.
func (st *Store) Update(fn func(scheduling.Tx) error) error { return st.s.Update(fn) }

// Close closes the file.
func (st *Store) Close() error { return st.s.Close() }

// Secret is the named random secret of this file (the page-token key),
// made on first use.
func (st *Store) Secret(name string) ([]byte, error) { return boltdb.Secret(st.s.DB, name) }

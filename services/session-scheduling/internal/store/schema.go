package store

import "github.com/cqlive/alliance/services/kit/boltdb"

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

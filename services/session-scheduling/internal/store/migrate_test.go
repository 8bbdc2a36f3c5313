package store

import (
	"encoding/binary"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/cqlive/alliance/services/kit/boltdb"
	"github.com/cqlive/alliance/services/kit/boltdb/bolttest"
	"github.com/cqlive/alliance/services/session-scheduling/internal/scheduling"
	"github.com/cqlive/alliance/services/session-scheduling/internal/store/testdata/mkfixture/v2data"
	bolt "go.etcd.io/bbolt"
)

// testdata/session-v1.db was written by the schema-1 store (commit
// 26b5b00, before kit/timekey): two sessions of one studio that overlap
// across the wrap of UnixNano (wrap-a, wrap-b: main accepted both), four
// sessions of 2030 in every state, an ENDED one of 1500, and one request id.
const v1File = "testdata/session-v1.db"

// openFixture opens a copy of a fixture read-only, after checking that
// its meta says the schema version the test expects.
func openFixture(t *testing.T, file string, version uint64) *bolt.DB {
	t.Helper()
	db, err := bolt.Open(bolttest.Fixture(t, file, "session.db"), 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	_ = db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket([]byte("meta")).Get([]byte("schema_version")); binary.BigEndian.Uint64(v) != version {
			t.Fatalf("schema version %d, want %d", binary.BigEndian.Uint64(v), version)
		}
		return nil
	})
	return db
}

// TestTheFixtureIsSchemaOne guards the migration test: the file holds
// 8-byte Unix-nanosecond keys, with the keys of the sessions after the
// wrap sorted before those of 2030.
func TestTheFixtureIsSchemaOne(t *testing.T) {
	db := openFixture(t, v1File, 1)
	err := db.View(func(tx *bolt.Tx) error {
		var order []string
		err := tx.Bucket(bucketByStart).ForEach(func(k, _ []byte) error {
			order = append(order, string(k[8:]))
			return nil
		})
		if want := []string{"wrap-b", "plain-3", "plain-1", "plain-2", "plain-4", "old-history", "wrap-a"}; !slices.Equal(order, want) {
			t.Fatalf("schema-1 order %v, want %v (wrapped)", order, want)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestMigrationFromSchemaOne opens the schema-1 file: it is rewritten to
// schema 3 in place (1 -> 2 -> 3), every index and counter agrees with the
// records (also across the wrap and before 1677), the records and request
// ids are kept, the file checks clean, and a second open changes nothing.
func TestMigrationFromSchemaOne(t *testing.T) {
	path := bolttest.Fixture(t, v1File, "session.db")
	st, err := Open(path, boltdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if v, err := boltdb.SchemaVersion(st.s.DB); err != nil || v != Schema.Version {
		t.Fatalf("schema version %d, %v; want %d", v, err, Schema.Version)
	}
	if n := len(records(t, st)); n != 7 {
		t.Fatalf("%d records after the migration, want 7", n)
	}
	checkAgainstRecords(t, st, []time.Time{
		time.Date(1500, 6, 1, 11, 0, 0, 0, time.UTC), time.Date(1677, 9, 21, 0, 12, 43, 145224191, time.UTC),
		time.Date(2030, 1, 7, 0, 0, 0, 0, time.UTC), time.Date(2030, 1, 7, 10, 30, 0, 500000000, time.UTC),
		wrap.Truncate(time.Hour), wrap, wrap.Add(time.Nanosecond), time.Date(2262, 4, 12, 0, 30, 0, 0, time.UTC),
	})
	t.Run("the overlap across the wrap is now visible to the conflict check", func(t *testing.T) {
		var got []string
		q := scheduling.Scan{Studio: "members/base-x/studios/s1", From: time.Date(2262, 4, 11, 22, 0, 0, 0, time.UTC), To: time.Date(2262, 4, 12, 1, 15, 0, 0, time.UTC)}
		_ = st.View(func(tx scheduling.Tx) error {
			return tx.Sessions(q, func(s *scheduling.Session) bool { got = append(got, s.ID); return true })
		})
		if !slices.Equal(got, []string{"wrap-a", "wrap-b"}) {
			t.Fatalf("studio scan around the wrap = %v, want [wrap-a wrap-b]", got)
		}
	})
	t.Run("records, request ids and the longest length are kept", func(t *testing.T) {
		_ = st.View(func(tx scheduling.Tx) error {
			s, err := tx.Session("plain-2")
			if err != nil || s == nil || !s.Start.Equal(time.Date(2030, 1, 7, 10, 30, 0, 500000000, time.UTC)) || s.State != scheduling.StateLive {
				t.Fatalf("plain-2 = %+v, %v", s, err)
			}
			if name, _ := tx.Request("session/readme-1"); name != "sessions/plain-1" {
				t.Fatalf("request id gives %q", name)
			}
			if l, _ := tx.Longest(); l != 2*time.Hour {
				t.Fatalf("longest %s, want 2h", l)
			}
			return nil
		})
	})
	bolttest.Check(t, st.s.DB)
	reopenChangesNothing(t, st, path)
}

// testdata/session-v2.db was written by the schema-2 store of main (commit
// 8eeda7a, JSON records) through its Tx, by testdata/mkfixture: the seven sessions of v2Sessions,
// in every state of schema 2, with nanosecond times, Chinese text, an
// interval across a new year and the ends of the time range (1500, 9999),
// one of the longest length (12h); the request id "session/readme-1"; and
// the page-token secret.
const v2File = "testdata/session-v2.db"

// at reads a time of the fixture.
var at = v2data.At

// v2Sessions are the fixture's sessions, as main wrote them.
var v2Sessions = v2data.Sessions()

// TestTheFixtureIsSchemaTwo guards the migration test: the file is marked
// schema 2 and its records are JSON.
func TestTheFixtureIsSchemaTwo(t *testing.T) {
	db := openFixture(t, v2File, 2)
	_ = db.View(func(tx *bolt.Tx) error {
		n := 0
		_ = tx.Bucket(bucketSessions).ForEach(func(id, raw []byte) error {
			n++
			if raw[0] != '{' {
				t.Errorf("record %s is not JSON: %q", id, raw)
			}
			return nil
		})
		if n != len(v2Sessions) {
			t.Fatalf("%d records, want %d", n, len(v2Sessions))
		}
		return nil
	})
}

// TestMigrationFromSchemaTwo opens main's schema-2 file: it is rewritten to
// schema 3 in place, every record reads back as main wrote it (to the
// nanosecond), the indexes and counters agree with the records (the new
// index of open sessions holds exactly the SCHEDULED ones), the request id,
// the longest length and the page-token secret are kept, the file checks
// clean, and a second open changes nothing.
func TestMigrationFromSchemaTwo(t *testing.T) {
	path := bolttest.Fixture(t, v2File, "session.db")
	secret := bolttest.Secret(t, path, "page-token") // the secret main made, read before the migration
	if len(secret) != 32 {
		t.Fatalf("the fixture's page-token secret has %d bytes", len(secret))
	}
	st, err := Open(path, boltdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if v, err := boltdb.SchemaVersion(st.s.DB); err != nil || v != 3 {
		t.Fatalf("schema version %d, %v; want 3", v, err)
	}
	got := records(t, st)
	if len(got) != len(v2Sessions) {
		t.Fatalf("%d records after the migration, want %d", len(got), len(v2Sessions))
	}
	for i, want := range v2Sessions {
		if !reflect.DeepEqual(got[i], want) {
			t.Errorf("record %s:\n got %+v\nwant %+v", want.ID, got[i], want)
		}
	}
	checkAgainstRecords(t, st, []time.Time{
		at("1500-06-01T10:30:00Z"), at("2029-12-31T23:00:00Z"), at("2030-01-01T00:30:00Z"), at("2030-01-07T10:00:00.123456789Z"),
		at("2030-01-07T10:00:00.12345679Z"), at("2030-01-07T11:00:00Z"), at("2030-02-01T06:00:00Z"), at("9999-12-31T21:00:00Z"),
	})
	_ = st.View(func(tx scheduling.Tx) error {
		if name, _ := tx.Request("session/readme-1"); name != "sessions/sched-1" {
			t.Errorf("request id gives %q", name)
		}
		if l, _ := tx.Longest(); l != 12*time.Hour {
			t.Errorf("longest %s, want 12h", l)
		}
		return nil
	})
	var open []string
	_ = st.s.DB.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketOpen).ForEach(func(k, _ []byte) error {
			_, id, err := parseIndexKey(nil, k)
			open = append(open, id)
			return err
		})
	})
	if want := []string{"sched-1", "long-1", "late"}; !slices.Equal(open, want) {
		t.Errorf("open sessions %v, want %v (the SCHEDULED ones, by start)", open, want)
	}
	if s, err := st.Secret("page-token"); err != nil || string(s) != string(secret) {
		t.Errorf("the page-token secret changed: %x, %v", s, err)
	}
	bolttest.Check(t, st.s.DB)
	reopenChangesNothing(t, st, path)
}

// reopenChangesNothing closes st and opens path again: the file must be
// what it was, bucket by bucket.
func reopenChangesNothing(t *testing.T, st *Store, path string) {
	t.Helper()
	again := bolttest.Reopen(t, st, fileOf, func() (*Store, error) { return Open(path, boltdb.Options{}) })
	_ = again.Close()
}

// fileOf is a store's bbolt file, for kit/boltdb/bolttest.
func fileOf(s *Store) *bolt.DB { return s.s.DB }

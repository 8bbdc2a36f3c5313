package store

import (
	"encoding/binary"
	"slices"
	"testing"
	"time"

	"github.com/cqlive/alliance/services/kit/boltdb"
	"github.com/cqlive/alliance/services/kit/boltdb/bolttest"
	"github.com/cqlive/alliance/services/session-scheduling/internal/scheduling"
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

// reopenChangesNothing closes st and opens path again: the file must be
// what it was, bucket by bucket.
func reopenChangesNothing(t *testing.T, st *Store, path string) {
	t.Helper()
	again := bolttest.Reopen(t, st, fileOf, func() (*Store, error) { return Open(path, boltdb.Options{}) })
	_ = again.Close()
}

// fileOf is a store's bbolt file, for kit/boltdb/bolttest.
func fileOf(s *Store) *bolt.DB { return s.s.DB }

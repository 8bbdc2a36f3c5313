package store

import (
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

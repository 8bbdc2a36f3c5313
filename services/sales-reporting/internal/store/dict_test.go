package store

import (
	"path/filepath"
	"testing"

	storev1 "github.com/cqlive/alliance/gen/pb/alliance/sales/store/v1"
	bolt "go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"
)

func TestNameAtNamesOnlyTheIDsTheDictionaryRead(t *testing.T) {
	names := []string{"", "sessions/a", "", "sessions/c"}
	for _, c := range []struct {
		name string
		id   uint32
		want string
		ok   bool
	}{
		{"an id read names its record", 1, "sessions/a", true},
		{"the last id read", 3, "sessions/c", true},
		{"id 0 is no session", 0, "", false},
		{"an id whose record was not read (committed later)", 2, "", false},
		{"an id past the end", 4, "", false},
		{"the largest id", ^uint32(0), "", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got, ok := nameAt(names, c.id); got != c.want || ok != c.ok {
				t.Fatalf("nameAt(%d) = %q, %v; want %q, %v", c.id, got, ok, c.want, c.ok)
			}
		})
	}
}

func TestPendingOrStoredNamesANewIDFromTheTransactionOrItsRecord(t *testing.T) {
	db, err := bolt.Open(filepath.Join(t.TempDir(), "t.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rec, err := proto.Marshal(&storev1.SessionRecord{Name: "sessions/stored"})
	if err != nil {
		t.Fatal(err)
	}
	pending := map[string]uint32{"sessions/new": 7}
	err = db.Update(func(btx *bolt.Tx) error {
		b, err := btx.CreateBucket(bucketSessions)
		if err != nil {
			return err
		}
		for _, kv := range []struct {
			id uint32
			v  []byte
		}{{5, rec}, {6, []byte{0xff, 0xff}}} {
			if err := b.Put(u32(kv.id), kv.v); err != nil {
				return err
			}
		}
		for _, c := range []struct {
			name string
			id   uint32
			want string
			ok   bool
		}{
			{"a name this transaction gave the id", 7, "sessions/new", true},
			{"a record committed after the dictionary was read", 5, "sessions/stored", true},
			{"a record that does not decode names nothing", 6, "", false},
			{"an id neither given nor stored", 8, "", false},
		} {
			t.Run(c.name, func(t *testing.T) {
				if got, ok := pendingOrStored(c.id, pending, b, &storev1.SessionRecord{}); got != c.want || ok != c.ok {
					t.Fatalf("pendingOrStored(%d) = %q, %v; want %q, %v", c.id, got, ok, c.want, c.ok)
				}
			})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

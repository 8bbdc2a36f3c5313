package store

import (
	"path/filepath"
	"strings"
	"testing"

	storev1 "github.com/cqlive/alliance/gen/pb/alliance/sales/store/v1"
	bolt "go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"
)

// TestAnIDNamesItsNameOnlyWhereItIs: the dictionary's names by id
// (nameAt), a transaction's new names and the records committed after the
// dictionary was read (pendingOrStored), and a name's record (readNamed).
func TestAnIDNamesItsNameOnlyWhereItIs(t *testing.T) {
	db, err := bolt.Open(filepath.Join(t.TempDir(), "t.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rec, err := proto.Marshal(&storev1.SessionRecord{Name: "sessions/stored"})
	if err != nil {
		t.Fatal(err)
	}
	read := []string{"", "sessions/a", "", "sessions/c"} // the dictionary, by id
	pending := map[string]uint32{"sessions/new": 7}
	stored := func(b *bolt.Bucket, id uint32) (string, bool, error) {
		name, ok := pendingOrStored(id, pending, b, &storev1.SessionRecord{})
		return name, ok, nil
	}
	record := func(id uint32, ok bool) func(*bolt.Bucket) (string, bool, error) {
		return func(b *bolt.Bucket) (string, bool, error) {
			r, err := readNamed(b, id, ok, "session", "sessions/x", func(r *storev1.SessionRecord) *storev1.SessionRecord { return r })
			return r.GetName(), r != nil, err
		}
	}
	dict := func(id uint32) func(*bolt.Bucket) (string, bool, error) {
		return func(*bolt.Bucket) (string, bool, error) {
			name, ok := nameAt(read, id)
			return name, ok, nil
		}
	}
	for _, c := range []struct {
		name    string
		lookup  func(*bolt.Bucket) (string, bool, error)
		want    string
		found   bool
		wantErr string
	}{
		{"the dictionary: an id read names its record", dict(1), "sessions/a", true, ""},
		{"the dictionary: the last id read", dict(3), "sessions/c", true, ""},
		{"the dictionary: id 0 is no name", dict(0), "", false, ""},
		{"the dictionary: an id whose record it did not read", dict(2), "", false, ""},
		{"the dictionary: an id past the end", dict(4), "", false, ""},
		{"the dictionary: the largest id", dict(^uint32(0)), "", false, ""},
		{"new or stored: a name this transaction gave the id", func(b *bolt.Bucket) (string, bool, error) { return stored(b, 7) }, "sessions/new", true, ""},
		{"new or stored: a record committed after the dictionary was read", func(b *bolt.Bucket) (string, bool, error) { return stored(b, 5) }, "sessions/stored", true, ""},
		{"new or stored: a record that does not decode names nothing", func(b *bolt.Bucket) (string, bool, error) { return stored(b, 6) }, "", false, ""},
		{"new or stored: an id neither given nor stored", func(b *bolt.Bucket) (string, bool, error) { return stored(b, 8) }, "", false, ""},
		{"a name's record: found by its id", record(5, true), "sessions/stored", true, ""},
		{"a name's record: a name without an id is not found", record(5, false), "", false, ""},
		{"a name's record: an id without a record is not found", record(8, true), "", false, ""},
		{"a name's record: one that does not decode is an error naming it", record(6, true), "", false, "session record sessions/x"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := db.Update(func(btx *bolt.Tx) error {
				b, err := btx.CreateBucketIfNotExists(bucketSessions)
				if err != nil {
					return err
				}
				if err := b.Put(u32(5), rec); err != nil {
					return err
				}
				if err := b.Put(u32(6), []byte{0xff, 0xff}); err != nil {
					return err
				}
				got, found, err := c.lookup(b)
				if got != c.want || found != c.found || (err == nil) != (c.wantErr == "") || (err != nil && !strings.Contains(err.Error(), c.wantErr)) {
					t.Errorf("got %q, %v, %v; want %q, %v, error %q", got, found, err, c.want, c.found, c.wantErr)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

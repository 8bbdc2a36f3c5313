package store

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cqlive/alliance/services/kit/boltdb"
	"github.com/cqlive/alliance/services/kit/members"
	"github.com/cqlive/alliance/services/kit/timekey"
	"github.com/cqlive/alliance/services/member-registry/internal/registry"
	bolt "go.etcd.io/bbolt"
)

// full are domain values with every field set (TestTheSamplesSetEveryField
// checks it), so that a field the codec forgets cannot round-trip.
var (
	fullMember = registry.Member{
		ID: "base-a", Kind: members.Base, DisplayName: "九龙坡直播基地", District: "jiulongpo", State: members.Suspended,
		StateReason: "fees", Agency: "members/agency-a", Official: true,
		Studios:    []registry.Studio{{ID: "s1", DisplayName: "一号"}, {ID: "s2", DisplayName: "Two"}},
		Contact:    registry.Contact{Person: "王", Phone: "023", Email: "a@b.example"},
		CreateTime: timekey.Min.Add(time.Nanosecond), UpdateTime: timekey.Max, Revision: 1<<64 - 1,
	}
	fullProduct = registry.Product{
		MerchantID: "merchant-a", ID: "yinzhen", DisplayName: "银针", Category: "tea", OriginDistrict: "banan",
		ListPrice: registry.Money{Currency: "CNY", MinorUnits: 1<<63 - 1}, State: registry.ProductDiscontinued,
		CreateTime: time.Date(1969, 12, 31, 23, 59, 59, 999999999, time.UTC), UpdateTime: time.Date(2262, 4, 12, 0, 0, 0, 1, time.UTC), Revision: 7,
	}
	fullKey = registry.APIKey{
		ID: "k1", MemberID: "host-a", DisplayName: "phone", Role: registry.RoleReadOnly, Hash: []byte{0, 1, 2, 0xff},
		CreateTime: time.Date(2024, 3, 1, 8, 0, 0, 123456000, time.UTC), RevokeTime: time.Date(2024, 3, 2, 0, 0, 0, 1, time.UTC),
	}
)

func TestTheSamplesSetEveryField(t *testing.T) {
	for _, v := range []any{fullMember, fullProduct, fullKey} {
		allSet(t, reflect.ValueOf(v), reflect.TypeOf(v).Name())
	}
}

func allSet(t *testing.T, v reflect.Value, path string) {
	t.Helper()
	if v.IsZero() {
		t.Errorf("%s is not set in the sample", path)
		return
	}
	switch {
	case v.Type() == reflect.TypeFor[time.Time]():
	case v.Kind() == reflect.Struct:
		for i := range v.NumField() {
			allSet(t, v.Field(i), path+"."+v.Type().Field(i).Name)
		}
	case v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Struct:
		for i := range v.Len() {
			allSet(t, v.Index(i), path+"[]")
		}
	}
}

// TestTheRecordsKeepEveryField: each domain value reads back as it was
// written, every field, times exact to the nanosecond over the whole
// Timestamp range, and the zero values (no studios, no contact, a key not
// revoked) stay zero.
func TestTheRecordsKeepEveryField(t *testing.T) {
	bare := registry.Member{ID: "host-b", Kind: members.Host, State: members.Active}
	valid := fullKey
	valid.RevokeTime, valid.Role = time.Time{}, registry.RoleNone
	for _, c := range []struct {
		rule      string
		in        any
		roundTrip func(any) (any, error)
	}{
		{"a member with every field", fullMember, roundTrip(encodeMember, decodeMember)},
		{"a member with only what it must have", bare, roundTrip(encodeMember, decodeMember)},
		{"a product with every field", fullProduct, roundTrip(encodeProduct, decodeProduct)},
		{"a product of no price", registry.Product{MerchantID: "m", ID: "p"}, roundTrip(encodeProduct, decodeProduct)},
		{"a revoked staff-like key", fullKey, roundTrip(encodeAPIKey, decodeAPIKey)},
		{"a valid member key", valid, roundTrip(encodeAPIKey, decodeAPIKey)},
	} {
		t.Run(c.rule, func(t *testing.T) {
			out, err := c.roundTrip(c.in)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(out, c.in) {
				t.Fatalf("read back %#v\nwrote     %#v", out, c.in)
			}
		})
	}
	t.Run("a request id", func(t *testing.T) {
		raw, err := encodeRequest("members/m/products/p")
		if err != nil {
			t.Fatal(err)
		}
		if name, err := decodeRequest(raw); err != nil || name != "members/m/products/p" {
			t.Fatalf("%q, %v", name, err)
		}
	})
}

func roundTrip[T any](enc func(*T) ([]byte, error), dec func([]byte) (*T, error)) func(any) (any, error) {
	return func(v any) (any, error) {
		in := v.(T)
		raw, err := enc(&in)
		if err != nil {
			return nil, err
		}
		out, err := dec(raw)
		if err != nil {
			return nil, err
		}
		return *out, nil
	}
}

// TestTheDomainCarriesNoPersistenceTags: how a value is stored is the
// store's business (codec.go), not its struct's.
func TestTheDomainCarriesNoPersistenceTags(t *testing.T) {
	for _, v := range []any{registry.Member{}, registry.Studio{}, registry.Contact{}, registry.Product{}, registry.Money{}, registry.APIKey{}} {
		typ := reflect.TypeOf(v)
		for i := range typ.NumField() {
			if tag := typ.Field(i).Tag; tag != "" {
				t.Errorf("%s.%s has the tag `%s`", typ.Name(), typ.Field(i).Name, tag)
			}
		}
	}
}

// TestARecordThatDoesNotDecodeIsAnError: a damaged value is an error that
// names the bucket and the key, on a read and in a listing alike.
func TestARecordThatDoesNotDecodeIsAnError(t *testing.T) {
	st, err := Open(filepath.Join(t.TempDir(), "member.db"), boltdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	err = st.s.DB.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMembers).Put([]byte("host-a"), []byte{0xff, 0xff})
	})
	if err != nil {
		t.Fatal(err)
	}
	for name, read := range map[string]func(registry.Tx) error{
		"Member":  func(tx registry.Tx) error { _, err := tx.Member("host-a"); return err },
		"Members": func(tx registry.Tx) error { return tx.Members("", func(*registry.Member) bool { return true }) },
	} {
		err := st.View(read)
		if err == nil || !strings.Contains(err.Error(), "members") || !strings.Contains(err.Error(), `"host-a"`) {
			t.Errorf("%s: %v; want an error naming bucket members and key host-a", name, err)
		}
	}
}

// FuzzDecodeRecords: whatever bytes a damaged file holds, decoding them
// is an error or a value, never a panic, and a value that decodes is
// written again as the same value (the codec loses nothing it read).
func FuzzDecodeRecords(f *testing.F) {
	for _, v := range []func() ([]byte, error){
		func() ([]byte, error) { return encodeMember(&fullMember) },
		func() ([]byte, error) { return encodeProduct(&fullProduct) },
		func() ([]byte, error) { return encodeAPIKey(&fullKey) },
	} {
		raw, err := v()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		again := func(what string, v any, enc func() ([]byte, error), dec func([]byte) (any, error)) {
			out, err := enc()
			if err != nil {
				return // e.g. a string that is not UTF-8 cannot be written back
			}
			back, err := dec(out)
			if err != nil || !reflect.DeepEqual(back, v) {
				t.Fatalf("%s %#v reads back as %#v, %v", what, v, back, err)
			}
		}
		if m, err := decodeMember(raw); err == nil {
			again("member", m, func() ([]byte, error) { return encodeMember(m) }, func(b []byte) (any, error) { return decodeMember(b) })
		}
		if p, err := decodeProduct(raw); err == nil {
			again("product", p, func() ([]byte, error) { return encodeProduct(p) }, func(b []byte) (any, error) { return decodeProduct(b) })
		}
		if k, err := decodeAPIKey(raw); err == nil {
			again("key", k, func() ([]byte, error) { return encodeAPIKey(k) }, func(b []byte) (any, error) { return decodeAPIKey(b) })
		}
	})
}

package store

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/cqlive/alliance/services/kit/apikey"
	"github.com/cqlive/alliance/services/kit/boltdb"
	"github.com/cqlive/alliance/services/kit/boltdb/bolttest"
	"github.com/cqlive/alliance/services/kit/fault"
	"github.com/cqlive/alliance/services/member-registry/internal/registry"
	bolt "go.etcd.io/bbolt"
)

// testdata/member-v3.db was written through the registry's rules by the
// schema-3 store (JSON records; commit 8eeda7a) with testdata/mkfixture:
// members of every kind (a BASE with studios and one without, a HOST of
// an AGENCY, an official HOST, one made with a server id), a member
// updated, one suspended, one reinstated, one withdrawn; products of two
// merchants (one discontinued, one with a server id); member keys and
// staff keys of both roles, one of each revoked; request ids of members
// and products; the page-token secret. testdata/member-v3.want.json is
// what that store's Tx read back from it, with the full keys issued.
const (
	v3File = "testdata/member-v3.db"
	v3Want = "testdata/member-v3.want.json"
)

// TestTheFixtureIsSchemaThree guards the migration test: the file is of
// schema 3 and its records are JSON.
func TestTheFixtureIsSchemaThree(t *testing.T) {
	bolttest.View(t, bolttest.Fixture(t, v3File, "member.db"), func(tx *bolt.Tx) error {
		if v := binary.BigEndian.Uint64(tx.Bucket([]byte("meta")).Get([]byte("schema_version"))); v != 3 {
			t.Fatalf("schema version %d, want 3", v)
		}
		for _, b := range [][]byte{bucketMembers, bucketProducts, bucketAPIKeys} {
			_, v := tx.Bucket(b).Cursor().First()
			if !json.Valid(v) {
				t.Errorf("bucket %s holds %q, not JSON", b, v)
			}
		}
		if name := tx.Bucket(bucketRequests).Get([]byte("member/readme-host")); string(name) != "members/host-a" {
			t.Errorf("request id holds %q, want the bare name", name)
		}
		return nil
	})
}

// golden is what the schema-3 store read back from the fixture.
type golden struct {
	Members  []map[string]any            `json:"members"`
	Products []map[string]any            `json:"products"`
	Keys     map[string][]map[string]any `json:"api_keys"` // member id ("" for staff) -> its keys
	Requests map[string]string           `json:"requests"`
	Full     map[string]string           `json:"full_keys"`
}

func readGolden(t *testing.T) golden {
	t.Helper()
	raw, err := os.ReadFile(v3Want)
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatal(err)
	}
	return g
}

// TestMigrationFromSchemaThree opens the schema-3 file: it is rewritten
// to schema 4 in place, every read of the registry's Tx returns what the
// schema-3 store returned (field by field), the keys still authenticate
// (and the revoked ones still do not), request ids still dedupe, the
// page-token secret is kept, the file checks clean, a migrated record
// takes writes, and a second open changes nothing.
func TestMigrationFromSchemaThree(t *testing.T) {
	path := bolttest.Fixture(t, v3File, "member.db")
	secret := bolttest.Secret(t, path, "page-token")
	if len(secret) != 32 {
		t.Fatalf("the fixture's page-token secret is %d bytes", len(secret))
	}
	st, err := Open(path, boltdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if v := schemaVersion(t, st); v != 4 {
		t.Fatalf("schema version %d, want 4", v)
	}
	g := readGolden(t)
	rawView := func(fn func(*bolt.Tx) error) { t.Helper(); _ = st.s.DB.View(fn) }

	t.Run("every record is a protobuf record now", func(t *testing.T) {
		rawView(func(tx *bolt.Tx) error {
			for _, b := range records {
				_ = tx.Bucket(b).ForEach(func(k, v []byte) error {
					if json.Valid(v) {
						t.Errorf("%s %q is still JSON", b, k)
					}
					return nil
				})
			}
			return nil
		})
	})
	t.Run("members read as before", func(t *testing.T) {
		var all []*registry.Member
		view(t, st, func(tx registry.Tx) error {
			return tx.Members("", func(m *registry.Member) bool { all = append(all, m); return true })
		})
		compareList(t, "members", g.Members, all)
		var rest []*registry.Member
		view(t, st, func(tx registry.Tx) error {
			return tx.Members(all[3].ID, func(m *registry.Member) bool { rest = append(rest, m); return true })
		})
		compareList(t, "members after the fourth", g.Members[4:], rest)
		for _, want := range g.Members {
			var got *registry.Member
			view(t, st, func(tx registry.Tx) (err error) { got, err = tx.Member(want["id"].(string)); return err })
			compare(t, "member "+want["id"].(string), want, got)
		}
	})
	t.Run("products read as before", func(t *testing.T) {
		var all, ofA []*registry.Product
		view(t, st, func(tx registry.Tx) error {
			if err := tx.Products("", "", func(p *registry.Product) bool { all = append(all, p); return true }); err != nil {
				return err
			}
			return tx.Products("merchant-a", registry.ProductKey("merchant-a", g.Products[0]["id"].(string)),
				func(p *registry.Product) bool { ofA = append(ofA, p); return true })
		})
		compareList(t, "products", g.Products, all)
		compareList(t, "merchant-a's products after its first", g.Products[1:3], ofA)
		for _, want := range g.Products {
			var got *registry.Product
			view(t, st, func(tx registry.Tx) (err error) {
				got, err = tx.Product(want["merchant_id"].(string), want["id"].(string))
				return err
			})
			compare(t, "product "+want["id"].(string), want, got)
		}
	})
	t.Run("member and staff keys read as before", func(t *testing.T) {
		if len(g.Keys[""]) != 3 || len(g.Keys["host-a"]) != 2 {
			t.Fatalf("the golden file lists %d staff keys and %d of host-a", len(g.Keys[""]), len(g.Keys["host-a"]))
		}
		for member, want := range g.Keys {
			var got []*registry.APIKey
			view(t, st, func(tx registry.Tx) error {
				return tx.APIKeys(member, "", func(k *registry.APIKey) bool { got = append(got, k); return true })
			})
			compareList(t, fmt.Sprintf("keys of %q", member), want, got)
			var after []*registry.APIKey
			view(t, st, func(tx registry.Tx) error {
				return tx.APIKeys(member, want[0]["id"].(string), func(k *registry.APIKey) bool { after = append(after, k); return true })
			})
			compareList(t, fmt.Sprintf("keys of %q after the first", member), want[1:], after)
		}
		var n int
		for _, m := range g.Members {
			view(t, st, func(tx registry.Tx) error {
				return tx.APIKeys(m["id"].(string), "", func(*registry.APIKey) bool { n++; return true })
			})
		}
		if want := len(g.Keys["host-a"]) + len(g.Keys["merchant-a"]); n != want || len(g.Keys) != 3 {
			t.Errorf("%d member keys in all, want the %d of host-a and merchant-a", n, want)
		}
	})
	t.Run("request ids read as before", func(t *testing.T) {
		for key, want := range g.Requests {
			var got string
			view(t, st, func(tx registry.Tx) (err error) { got, err = tx.Request(key); return err })
			if got != want {
				t.Errorf("request %s = %q, want %q", key, got, want)
			}
		}
	})
	svc := registry.NewService(st, registry.Options{})
	t.Run("the keys authenticate as before; the revoked ones do not", func(t *testing.T) {
		revoked := map[string]bool{}
		for _, keys := range g.Keys {
			for _, k := range keys {
				revoked[k["id"].(string)] = k["revoke_time"] != nil
			}
		}
		if len(g.Full) != 6 {
			t.Fatalf("%d full keys in the golden file, want 6", len(g.Full))
		}
		for id, full := range g.Full {
			keyID, secret, ok := apikey.ParseMemberKey(full)
			if !ok || keyID != id {
				t.Fatalf("golden key %q does not parse", full)
			}
			_, k, err := svc.AuthenticateAPIKey(keyID, secret)
			switch {
			case revoked[id] && !fault.Is(err, fault.ReasonInvalidAPIKey):
				t.Errorf("revoked key %s: %v, %v; want INVALID_API_KEY", id, k, err)
			case !revoked[id] && (err != nil || k.ID != id):
				t.Errorf("key %s no longer authenticates: %v", id, err)
			}
			if _, _, err := svc.AuthenticateAPIKey(keyID, secret+"x"); err == nil {
				t.Errorf("key %s authenticates with a wrong secret", id)
			}
		}
	})
	t.Run("a repeated request id returns what the first request made", func(t *testing.T) {
		m, err := svc.CreateMember(registry.Member{Kind: registry.Kind(1), DisplayName: "another", District: "yuzhong"}, "", "readme-host")
		if err != nil || m.ID != "host-a" || m.Revision != 1 {
			t.Fatalf("repeat of readme-host = %+v, %v; want host-a, unchanged", m, err)
		}
	})
	t.Run("the page-token secret is kept", func(t *testing.T) {
		if got, err := st.Secret("page-token"); err != nil || !bytes.Equal(got, secret) {
			t.Fatalf("page-token secret %x, %v; want the fixture's %x", got, err, secret)
		}
	})
	bolttest.Check(t, st.s.DB)
	again := bolttest.Reopen(t, st, fileOf, func() (*Store, error) { return Open(path, boltdb.Options{}) })
	t.Run("a migrated record takes writes", func(t *testing.T) {
		admin := registry.WithCaller(context.Background(), registry.Caller{Trusted: true, Admin: true})
		svc := registry.NewService(again, registry.Options{})
		m, err := svc.UpdateMember(admin, registry.Member{ID: "host-a", DisplayName: "主播 小李 (new)"}, []string{"display_name"}, "")
		if err != nil || m.Revision != 2 || m.Agency != "members/agency-a" || m.Contact.Email != "li@host-a.example" {
			t.Fatalf("update of a migrated member = %+v, %v", m, err)
		}
		if got, err := svc.GetMember("host-a"); err != nil || !reflect.DeepEqual(got, m) {
			t.Fatalf("read back %+v, %v; want %+v", got, err, m)
		}
	})
	bolttest.Check(t, again.s.DB)
	if err := again.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestMigrationFromSchemaOne: a file of schema 1 has no key buckets yet
// when the step to 4 runs; it moves through 2 and 3 to 4 all the same.
func TestMigrationFromSchemaOne(t *testing.T) {
	path := filepath.Join(t.TempDir(), "member.db")
	member := `{"id":"host-a","kind":1,"display_name":"主播","district":"yuzhong","state":1,"contact":{},` +
		`"create_time":"2021-05-01T02:03:04.000005Z","update_time":"2021-05-01T02:03:04.000005Z","revision":1}`
	writeRaw(t, path, 1, map[string]map[string]string{
		"members":  {"host-a": member},
		"products": {},
		"requests": {"member/r1": "members/host-a"},
	})
	st, err := Open(path, boltdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if v := schemaVersion(t, st); v != 4 {
		t.Fatalf("schema version %d, want 4", v)
	}
	view(t, st, func(tx registry.Tx) error {
		m, err := tx.Member("host-a")
		if err != nil || m == nil || m.DisplayName != "主播" || !m.CreateTime.Equal(time.Date(2021, 5, 1, 2, 3, 4, 5000, time.UTC)) {
			t.Fatalf("member = %+v, %v", m, err)
		}
		if name, err := tx.Request("member/r1"); err != nil || name != "members/host-a" {
			t.Fatalf("request = %q, %v", name, err)
		}
		return nil
	})
	bolttest.Check(t, st.s.DB)
}

// TestMigrationStopsAtWhatItCannotRead: a record that is not the JSON of
// schema 3, or holds a field that schema never wrote, fails the open with
// the bucket and key named, and leaves the file exactly as it was.
func TestMigrationStopsAtWhatItCannotRead(t *testing.T) {
	for _, c := range []struct {
		rule, bucket, key, value string
	}{
		{"a member that is not JSON", "members", "host-a", "\x0a\x06host-a"},
		{"a member with a field the old code never wrote", "members", "host-a", `{"id":"host-a","kind":1,"nickname":"x"}`},
		{"a product cut short", "products", "merchant-a/yinzhen", `{"merchant_id":"merchant-a","id":`},
		{"a key whose hash is not base64", "api_keys", "ht2fvmj62mxt6zkq", `{"id":"ht2fvmj62mxt6zkq","hash":"***"}`},
	} {
		t.Run(c.rule, func(t *testing.T) {
			path := bolttest.Fixture(t, v3File, "member.db")
			db, err := bolt.Open(path, 0o600, nil)
			if err != nil {
				t.Fatal(err)
			}
			err = db.Update(func(tx *bolt.Tx) error { return tx.Bucket([]byte(c.bucket)).Put([]byte(c.key), []byte(c.value)) })
			if cerr := db.Close(); err != nil || cerr != nil {
				t.Fatal(err, cerr)
			}
			before, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			st, err := Open(path, boltdb.Options{})
			if err == nil {
				st.Close()
				t.Fatal("the file opened")
			}
			if !strings.Contains(err.Error(), "migrate schema 3 -> 4") || !strings.Contains(err.Error(), c.bucket) || !strings.Contains(err.Error(), c.key) {
				t.Errorf("error %q does not name the step, the bucket and the key", err)
			}
			after, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(before, after) {
				t.Error("the failed migration changed the file")
			}
		})
	}
}

// writeRaw writes a file of the given schema version with the given
// buckets, as an older binary left it.
func writeRaw(t *testing.T, path string, version uint64, buckets map[string]map[string]string) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucket([]byte("meta"))
		if err != nil {
			return err
		}
		if err := meta.Put([]byte("schema_version"), binary.BigEndian.AppendUint64(nil, version)); err != nil {
			return err
		}
		for name, kv := range buckets {
			b, err := tx.CreateBucket([]byte(name))
			if err != nil {
				return err
			}
			for k, v := range kv {
				if err := b.Put([]byte(k), []byte(v)); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if cerr := db.Close(); err != nil || cerr != nil {
		t.Fatal(err, cerr)
	}
}

// fileOf is a store's bbolt file, for kit/boltdb/bolttest.
func fileOf(s *Store) *bolt.DB { return s.s.DB }

func view(t *testing.T, st *Store, fn func(registry.Tx) error) {
	t.Helper()
	if err := st.View(fn); err != nil {
		t.Fatal(err)
	}
}

func schemaVersion(t *testing.T, st *Store) int {
	t.Helper()
	v, err := boltdb.SchemaVersion(st.s.DB)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// compareList compares what was read with the golden list, element by
// element.
func compareList[T any](t *testing.T, what string, want []map[string]any, got []*T) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d read, want %d", what, len(got), len(want))
		return
	}
	for i := range want {
		compare(t, fmt.Sprintf("%s[%d]", what, i), want[i], got[i])
	}
}

// compare checks a domain value against the schema-3 JSON of the same
// value, field by field. It reads the JSON by the domain's field names
// (DisplayName is display_name), independently of the migration's own
// decoding, and fails on a JSON field that no domain field took.
func compare[T any](t *testing.T, what string, want map[string]any, got *T) {
	t.Helper()
	if got == nil {
		t.Errorf("%s: not found", what)
		return
	}
	w, err := fromGolden(want, reflect.TypeFor[T]())
	if err != nil {
		t.Errorf("%s: the golden value does not read: %v", what, err)
		return
	}
	g := reflect.ValueOf(got).Elem()
	for i := range g.NumField() {
		if gf, wf := g.Field(i).Interface(), w.Field(i).Interface(); !reflect.DeepEqual(gf, wf) {
			t.Errorf("%s: %s = %#v, want %#v", what, g.Type().Field(i).Name, gf, wf)
		}
	}
}

// fromGolden turns a decoded JSON value into a value of type typ.
func fromGolden(v any, typ reflect.Type) (reflect.Value, error) {
	out := reflect.New(typ).Elem()
	if v == nil {
		return out, nil // omitted or null: the zero value
	}
	switch {
	case typ == reflect.TypeFor[time.Time]():
		tm, err := time.Parse(time.RFC3339Nano, v.(string))
		out.Set(reflect.ValueOf(tm))
		return out, err
	case typ == reflect.TypeFor[[]byte]():
		b, err := base64.StdEncoding.DecodeString(v.(string))
		out.SetBytes(b)
		return out, err
	}
	switch typ.Kind() {
	case reflect.String:
		out.SetString(v.(string))
	case reflect.Bool:
		out.SetBool(v.(bool))
	case reflect.Int, reflect.Int32, reflect.Int64:
		out.SetInt(int64(v.(float64)))
	case reflect.Uint64:
		out.SetUint(uint64(v.(float64)))
	case reflect.Slice:
		for _, e := range v.([]any) {
			ev, err := fromGolden(e, typ.Elem())
			if err != nil {
				return out, err
			}
			out.Set(reflect.Append(out, ev))
		}
	case reflect.Struct:
		obj := v.(map[string]any)
		used := 0
		for i := range typ.NumField() {
			name := snake(typ.Field(i).Name)
			fv, ok := obj[name]
			if !ok {
				continue
			}
			used++
			f, err := fromGolden(fv, typ.Field(i).Type)
			if err != nil {
				return out, fmt.Errorf("%s: %w", name, err)
			}
			out.Field(i).Set(f)
		}
		if used != len(obj) {
			return out, fmt.Errorf("%d of its %d fields are no field of %s: %v", len(obj)-used, len(obj), typ, obj)
		}
	default:
		return out, errors.New("no reading of " + typ.String())
	}
	return out, nil
}

// snake is the JSON name of a Go field name: MerchantID is merchant_id.
func snake(s string) string {
	var b strings.Builder
	for i, r := range s {
		if unicode.IsUpper(r) && i > 0 && unicode.IsLower(rune(s[i-1])) {
			b.WriteByte('_')
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

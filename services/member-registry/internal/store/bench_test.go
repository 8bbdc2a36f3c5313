package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/cqlive/alliance/services/kit/apikey"
	"github.com/cqlive/alliance/services/kit/boltdb"
	"github.com/cqlive/alliance/services/kit/boltdb/bolttest"
	"github.com/cqlive/alliance/services/member-registry/internal/registry"
	bolt "go.etcd.io/bbolt"
)

// BenchmarkOpen times the schema 3 -> 4 migration (every record from
// JSON to protobuf) of a registry a little larger than the 2020 replay's:
// 20 agencies, 12 bases of 12 studios, 600 hosts, 38 district offices,
// 300 merchants of 10 products (3,000), a key for every member and 10
// staff keys (a tenth of them revoked), and a request id for every member
// and product. The baseline is opening the same registry at schema 4,
// where there is nothing to migrate.
//
//	go test -run '^$' -bench Open -benchtime 20x ./internal/store
func BenchmarkOpen(b *testing.B) {
	v3 := filepath.Join(b.TempDir(), "v3.db")
	writeRegistryV3(b, v3)
	v4 := filepath.Join(b.TempDir(), "v4.db")
	bolttest.Copy(b, v3, v4)
	st, err := Open(v4, boltdb.Options{})
	if err != nil {
		b.Fatal(err)
	}
	var nm, np int
	_ = st.View(func(tx registry.Tx) error {
		_ = tx.Members("", func(*registry.Member) bool { nm++; return true })
		return tx.Products("", "", func(*registry.Product) bool { np++; return true })
	})
	if nm != 970 || np != 3000 {
		b.Fatalf("the migrated registry has %d members and %d products, want 970 and 3000", nm, np)
	}
	if err := st.Close(); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct{ name, file string }{{"schema 4 (baseline)", v4}, {"schema 3, migrated to 4", v3}} {
		b.Run(c.name, func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "member.db")
			for range b.N {
				b.StopTimer()
				bolttest.Copy(b, c.file, path)
				b.StartTimer()
				st, err := Open(path, boltdb.Options{})
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				if err := st.Close(); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
		})
	}
}

// writeRegistryV3 writes a schema-3 file, JSON records as the schema-3
// store wrote them, in one transaction.
func writeRegistryV3(b *testing.B, path string) {
	b.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	t0 := time.Date(2020, 1, 2, 1, 2, 3, 456789000, time.UTC)
	var n int
	stamp := func() time.Time { n++; return t0.Add(time.Duration(n) * 1733 * time.Millisecond) }
	err = db.Update(func(tx *bolt.Tx) error {
		meta, _ := tx.CreateBucket([]byte("meta"))
		if err := meta.Put([]byte("schema_version"), binary.BigEndian.AppendUint64(nil, 3)); err != nil {
			return err
		}
		for _, name := range append(Schema.Buckets, []byte("secrets")) {
			if _, err := tx.CreateBucket(name); err != nil {
				return err
			}
		}
		put := func(bucket []byte, key string, v any) {
			raw, ok := v.([]byte)
			if !ok {
				if raw, err = json.Marshal(v); err != nil {
					b.Fatal(err)
				}
			}
			if err := tx.Bucket(bucket).Put([]byte(key), raw); err != nil {
				b.Fatal(err)
			}
		}
		member := func(m jsonMember) {
			m.State, m.CreateTime, m.Revision = 1, stamp(), 1
			m.UpdateTime = m.CreateTime
			put(bucketMembers, m.ID, m)
			put(bucketRequests, "member/req-"+m.ID, []byte("members/"+m.ID))
			keyID, _, secret := apikey.NewMemberKey()
			k := jsonAPIKey{ID: keyID, MemberID: m.ID, DisplayName: "phone", Hash: apikey.Hash(secret), CreateTime: stamp()}
			if n%10 == 0 {
				k.RevokeTime = stamp()
			}
			put(bucketAPIKeys, k.ID, k)
			put(bucketKeysBy, m.ID+"/"+k.ID, []byte{})
		}
		for a := range 20 {
			member(jsonMember{ID: fmt.Sprintf("agency-%02d", a), Kind: 3, DisplayName: fmt.Sprintf("直播服务机构 %02d", a), District: "yuzhong",
				Contact: jsonContact{Person: "王经理", Phone: "+86 23 6380 0000", Email: "ops@agency.example"}})
		}
		for i := range 12 {
			m := jsonMember{ID: fmt.Sprintf("base-%02d", i), Kind: 2, DisplayName: fmt.Sprintf("直播基地 %02d", i), District: "jiulongpo"}
			for s := range 12 {
				m.Studios = append(m.Studios, jsonStudio{ID: fmt.Sprintf("studio-%02d", s), DisplayName: fmt.Sprintf("演播室 %02d", s)})
			}
			member(m)
		}
		for h := range 600 {
			m := jsonMember{ID: fmt.Sprintf("host-%03d", h), Kind: 1, DisplayName: fmt.Sprintf("主播 %03d", h), District: "banan",
				Contact: jsonContact{Email: fmt.Sprintf("host%d@example.com", h)}}
			if h < 38 {
				m.Official = true
			} else if h%5 != 0 {
				m.Agency = fmt.Sprintf("members/agency-%02d", h%20)
			}
			member(m)
		}
		for d := range 38 {
			member(jsonMember{ID: fmt.Sprintf("office-%02d", d), Kind: 5, DisplayName: "区县商务办公室", District: "dazu"})
		}
		for mi := range 300 {
			id := fmt.Sprintf("merchant-%03d", mi)
			member(jsonMember{ID: id, Kind: 4, DisplayName: fmt.Sprintf("商家 %03d", mi), District: "fuling",
				Contact: jsonContact{Person: "张女士", Phone: "023-1234"}})
			for p := range 10 {
				pr := jsonProduct{MerchantID: id, ID: fmt.Sprintf("p%d", p), DisplayName: fmt.Sprintf("巴南银针 %d", p), Category: "tea",
					OriginDistrict: "banan", ListPrice: jsonMoney{"CNY", int64(2000 + 97*p)}, State: 1, CreateTime: stamp(), Revision: 1}
				pr.UpdateTime = pr.CreateTime
				put(bucketProducts, id+"/"+pr.ID, pr)
				put(bucketRequests, "product/req-"+id+"-"+pr.ID, []byte("members/"+id+"/products/"+pr.ID))
			}
		}
		for s := range 10 {
			keyID, _, secret := apikey.NewMemberKey()
			k := jsonAPIKey{ID: keyID, DisplayName: fmt.Sprintf("staff %d", s), Role: 1 + s%2, Hash: apikey.Hash(secret), CreateTime: stamp()}
			put(bucketAPIKeys, k.ID, k)
			put(bucketStaff, k.ID, []byte{})
		}
		return tx.Bucket([]byte("secrets")).Put([]byte("page-token"), make([]byte, 32))
	})
	if err != nil {
		b.Fatal(err)
	}
}

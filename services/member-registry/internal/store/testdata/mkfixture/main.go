// Command mkfixture writes member-v3.db, a member registry of schema 3
// (JSON records), through the registry's rules, and member-v3.want.json:
// everything the schema-3 store reads back from it, so that the migration
// test can check every read against what the old code returned.
//
// It is kept here for the record; it builds only against the code of
// schema 3 (commit 8eeda7a):
//
//	git worktree add /tmp/v3 8eeda7a && cp -r testdata/mkfixture /tmp/v3/services/member-registry/internal/store/testdata/
//	cd /tmp/v3/services/member-registry && go run ./internal/store/testdata/mkfixture <this folder>
package main

import (
	"context"
	"encoding/json"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/cqlive/alliance/services/kit/boltdb"
	"github.com/cqlive/alliance/services/kit/members"
	"github.com/cqlive/alliance/services/member-registry/internal/registry"
	"github.com/cqlive/alliance/services/member-registry/internal/store"
)

func main() {
	dir := os.Args[1]
	dbPath := filepath.Join(dir, "member-v3.db")
	_ = os.Remove(dbPath)
	st, err := store.Open(dbPath, boltdb.Options{})
	check(err)
	_, err = boltdb.Secret(st.DB, "page-token") // as app.New makes it
	check(err)
	// A clock that moves by an odd step, so every stamp differs and has
	// microseconds.
	now := time.Date(2024, 3, 1, 8, 0, 0, 123456000, time.UTC)
	clock := func() time.Time { now = now.Add(97*time.Second + 1001*time.Microsecond); return now }
	svc := registry.NewService(st, registry.Options{Now: clock})
	admin := registry.WithCaller(context.Background(), registry.Caller{Trusted: true, Admin: true})

	member := func(id, req string, m registry.Member) *registry.Member {
		out, err := svc.CreateMember(m, id, req)
		check(err)
		return out
	}
	member("agency-a", "readme-agency", registry.Member{Kind: members.Agency, DisplayName: "渝中直播服务机构", District: "yuzhong",
		Contact: registry.Contact{Person: "王经理", Phone: "+86 23 6380 0000", Email: "ops@agency-a.example"}})
	member("host-a", "readme-host", registry.Member{Kind: members.Host, DisplayName: "主播 小李", District: "jiulongpo", Agency: "members/agency-a",
		Contact: registry.Contact{Email: "li@host-a.example"}})
	member("host-official", "", registry.Member{Kind: members.Host, DisplayName: "巴南区区长", District: "banan", Official: true})
	base := member("base-a", "readme-base", registry.Member{Kind: members.Base, DisplayName: "九龙坡直播基地", District: "jiulongpo",
		Studios: []registry.Studio{{ID: "s1", DisplayName: "一号演播室"}, {ID: "s2", DisplayName: "Studio 2"}}})
	member("base-empty", "", registry.Member{Kind: members.Base, DisplayName: "大足基地", District: "dazu"})
	member("merchant-a", "readme-merchant", registry.Member{Kind: members.Merchant, DisplayName: "巴南银针茶业", District: "banan",
		Contact: registry.Contact{Person: "张女士", Phone: "023-1234"}})
	member("merchant-b", "", registry.Member{Kind: members.Merchant, DisplayName: "涪陵榨菜", District: "fuling"})
	member("office-yuzhong", "", registry.Member{Kind: members.DistrictOffice, DisplayName: "渝中区商务委", District: "yuzhong"})
	member("host-gone", "", registry.Member{Kind: members.Host, DisplayName: "已退出主播", District: "wanzhou"})
	auto := member("", "made-by-server", registry.Member{Kind: members.Host, DisplayName: "服务器编号主播", District: "dazu"})

	// An update (revision 2, a later update time, one studio renamed), a
	// suspension undone, a withdrawal with its reason.
	_, err = svc.UpdateMember(admin, registry.Member{ID: base.ID, Studios: []registry.Studio{{ID: "s1", DisplayName: "一号演播室"}, {ID: "s2", DisplayName: "二号演播室"}}},
		[]string{"studios"}, "")
	check(err)
	_, err = svc.SuspendMember(auto.ID, "checking identity", "")
	check(err)
	_, err = svc.ReinstateMember(auto.ID, "")
	check(err)
	_, err = svc.WithdrawMember("host-gone", "left the alliance", "")
	check(err)

	product := func(merchant, id, req string, p registry.Product) *registry.Product {
		out, err := svc.CreateProduct(admin, merchant, &p, id, req)
		check(err)
		return out
	}
	product("merchant-a", "yinzhen", "readme-product", registry.Product{DisplayName: "巴南银针 250g", Category: "tea", OriginDistrict: "banan",
		ListPrice: registry.Money{Currency: "CNY", MinorUnits: 12800}})
	old := product("merchant-a", "old-tea", "", registry.Product{DisplayName: "陈茶", Category: "tea", OriginDistrict: "banan",
		ListPrice: registry.Money{Currency: "CNY", MinorUnits: 990}})
	product("merchant-a", "", "product-by-server", registry.Product{DisplayName: "火锅底料", Category: "hotpot", OriginDistrict: "yuzhong",
		ListPrice: registry.Money{Currency: "USD", MinorUnits: 1}})
	product("merchant-b", "zhacai", "", registry.Product{DisplayName: "榨菜 80g", Category: "agri-food", OriginDistrict: "fuling",
		ListPrice: registry.Money{Currency: "CNY", MinorUnits: 0}})
	_, err = svc.UpdateProduct(admin, registry.Product{MerchantID: "merchant-a", ID: old.ID, State: registry.ProductDiscontinued}, []string{"state"}, "")
	check(err)
	// A merchant suspended after it listed its products.
	_, err = svc.SuspendMember("merchant-b", "overdue fees", "")
	check(err)

	full := map[string]string{} // key id -> the whole key, to authenticate with after the migration
	key := func(k *registry.APIKey, secret string, err error) *registry.APIKey {
		check(err)
		full[k.ID] = secret
		return k
	}
	key(svc.CreateAPIKey("host-a", "phone"))
	lost := key(svc.CreateAPIKey("host-a", "laptop, lost"))
	key(svc.CreateAPIKey("merchant-a", ""))
	key(svc.CreateStaffKey(admin, "陈 (admin)", registry.RoleAdmin))
	key(svc.CreateStaffKey(admin, "reader", registry.RoleReadOnly))
	gone := key(svc.CreateStaffKey(admin, "former staff", registry.RoleAdmin))
	_, err = svc.RevokeAPIKey(admin, "host-a", lost.ID)
	check(err)
	_, err = svc.RevokeAPIKey(admin, "", gone.ID)
	check(err)

	// Everything the store reads back, through its Tx.
	var want struct {
		Members  []*registry.Member            `json:"members"`
		Products []*registry.Product           `json:"products"`
		Keys     map[string][]*registry.APIKey `json:"api_keys"` // member id ("" for staff) -> keys
		Requests map[string]string             `json:"requests"`
		Full     map[string]string             `json:"full_keys"`
	}
	want.Keys, want.Requests, want.Full = map[string][]*registry.APIKey{}, map[string]string{}, full
	check(st.View(func(tx registry.Tx) error {
		check(tx.Members("", func(m *registry.Member) bool { want.Members = append(want.Members, m); return true }))
		check(tx.Products("", "", func(p *registry.Product) bool { want.Products = append(want.Products, p); return true }))
		for _, m := range append([]*registry.Member{{}}, want.Members...) {
			check(tx.APIKeys(m.ID, "", func(k *registry.APIKey) bool { want.Keys[m.ID] = append(want.Keys[m.ID], k); return true }))
		}
		for _, r := range []string{"member/readme-agency", "member/readme-host", "member/readme-base", "member/readme-merchant",
			"member/made-by-server", "product/readme-product", "product/product-by-server", "member/never-used"} {
			name, err := tx.Request(r)
			check(err)
			want.Requests[r] = name
		}
		return nil
	}))
	check(st.Close())
	raw, err := json.MarshalIndent(want, "", "  ")
	check(err)
	check(os.WriteFile(filepath.Join(dir, "member-v3.want.json"), append(raw, '\n'), 0o644))
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}

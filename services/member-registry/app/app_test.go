package app_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	memberv1 "github.com/cqlive/alliance/gen/pb/alliance/member/v1"
	typev1 "github.com/cqlive/alliance/gen/pb/alliance/type/v1"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"github.com/cqlive/alliance/services/kit/service"
	"github.com/cqlive/alliance/services/kit/testkit"
	"github.com/cqlive/alliance/services/member-registry/app"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

// startRegistry runs a real registry on loopback over a bbolt file in dir.
func startRegistry(t *testing.T, dir string) memberv1.MemberRegistryClient {
	t.Helper()
	srv, err := app.New(app.Config{Config: service.Config{DataDir: dir}}, testkit.Quiet)
	if err != nil {
		t.Fatal(err)
	}
	return memberv1.NewMemberRegistryClient(testkit.Dial(t, testkit.Serve(t, srv)))
}

// wantErr checks a call failed with the code and ErrorInfo reason.
func wantErr(t *testing.T, err error, code codes.Code, reason string) {
	t.Helper()
	testkit.WantError(t, err, code, reason, "member.alliance")
}

// errOf is a call's error alone: errOf(c.GetMember(ctx, req)).
func errOf(_ any, err error) error { return err }

func must[T any](t *testing.T) func(v T, err error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return v
	}
}

var ctx = context.Background()

func host(name string) *memberv1.Member {
	return &memberv1.Member{Kind: memberv1.MemberKind_MEMBER_KIND_HOST, DisplayName: name, District: "banan"}
}

func base(name string, studios ...string) *memberv1.Member {
	m := &memberv1.Member{Kind: memberv1.MemberKind_MEMBER_KIND_BASE, DisplayName: name, District: "jiulongpo"}
	for _, s := range studios {
		m.Studios = append(m.Studios, &memberv1.Studio{StudioId: s, DisplayName: "直播间 " + s})
	}
	return m
}

func ofKind(k memberv1.MemberKind, district string) *memberv1.Member {
	return &memberv1.Member{Kind: k, DisplayName: "成员 " + k.String(), District: district}
}

func tea() *memberv1.Product {
	return &memberv1.Product{DisplayName: "巴南银针", Category: "tea", OriginDistrict: "banan",
		ListPrice: &typev1.Money{CurrencyCode: "CNY", MinorUnits: 12800}}
}

func create(t *testing.T, c memberv1.MemberRegistryClient, id string, m *memberv1.Member) *memberv1.Member {
	t.Helper()
	return must[*memberv1.Member](t)(c.CreateMember(ctx, &memberv1.CreateMemberRequest{MemberId: id, Member: m}))
}

func TestDistricts(t *testing.T) {
	c := startRegistry(t, t.TempDir())
	resp := must[*memberv1.ListDistrictsResponse](t)(c.ListDistricts(ctx, &memberv1.ListDistrictsRequest{}))
	if len(resp.Districts) != 38 {
		t.Fatalf("got %d districts, want Chongqing's 38", len(resp.Districts))
	}
	names := map[string]string{}
	for _, d := range resp.Districts {
		names[d.Code] = d.DisplayName
	}
	for code, name := range map[string]string{"yuzhong": "渝中区", "jiulongpo": "九龙坡区", "banan": "巴南区", "dazu": "大足区", "wanzhou": "万州区"} {
		if names[code] != name {
			t.Errorf("district %s = %q, want %q", code, names[code], name)
		}
	}
}

func TestDistrictsFileReplacesTheList(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "d.json")
	os.WriteFile(file, []byte(`[{"code":"xiangcheng","display_name":"乡城"}]`), 0o600)
	srv, err := app.New(app.Config{Config: service.Config{DataDir: dir}, DistrictsFile: file}, testkit.Quiet)
	if err != nil {
		t.Fatal(err)
	}
	c := memberv1.NewMemberRegistryClient(testkit.Dial(t, testkit.Serve(t, srv)))
	resp := must[*memberv1.ListDistrictsResponse](t)(c.ListDistricts(ctx, &memberv1.ListDistrictsRequest{}))
	if len(resp.Districts) != 1 || resp.Districts[0].Code != "xiangcheng" {
		t.Fatalf("districts = %v", resp.Districts)
	}
	_, err = c.CreateMember(ctx, &memberv1.CreateMemberRequest{Member: host("主播")}) // banan is no longer a district
	if status.Code(err) != codes.InvalidArgument {
		t.Fatalf("a district outside the file was accepted: %v", err)
	}
}

func TestCreateMemberRules(t *testing.T) {
	c := startRegistry(t, t.TempDir())
	create(t, c, "agency-a", ofKind(memberv1.MemberKind_MEMBER_KIND_AGENCY, "yuzhong"))
	create(t, c, "merchant-m", ofKind(memberv1.MemberKind_MEMBER_KIND_MERCHANT, "banan"))
	suspended := create(t, c, "agency-s", ofKind(memberv1.MemberKind_MEMBER_KIND_AGENCY, "yuzhong"))
	must[*memberv1.Member](t)(c.SuspendMember(ctx, &memberv1.SuspendMemberRequest{Name: suspended.Name}))

	withAgency := func(m *memberv1.Member, agency string) *memberv1.Member { m.Agency = agency; return m }
	official := func(m *memberv1.Member) *memberv1.Member { m.Official = true; return m }
	cases := []struct {
		name   string
		id     string
		member *memberv1.Member
		code   codes.Code
		reason string
		field  string
	}{
		{"a host in an active agency is created", "host-1", withAgency(host("主播一"), "members/agency-a"), codes.OK, "", ""},
		{"an official host is created", "mayor", official(host("区长")), codes.OK, "", ""},
		{"a base with studios is created", "base-1", base("九龙坡基地", "s1", "s2"), codes.OK, "", ""},
		{"a Chinese display name of 200 characters is fine", "long", host(strings.Repeat("渝", 200)), codes.OK, "", ""},
		{"display name over 200 characters is invalid", "", host(strings.Repeat("渝", 201)), codes.InvalidArgument, "INVALID_ARGUMENT", "member.display_name"},
		{"empty display name is invalid", "", host(""), codes.InvalidArgument, "INVALID_ARGUMENT", "member.display_name"},
		{"a blank display name is invalid", "", host(" \u3000\t"), codes.InvalidArgument, "INVALID_ARGUMENT", "member.display_name"},
		{"a display name with a control character is invalid", "", host("李\x00主播"), codes.InvalidArgument, "INVALID_ARGUMENT", "member.display_name"},
		{"a display name with a line break is invalid", "", host("李\r\n=1+1"), codes.InvalidArgument, "INVALID_ARGUMENT", "member.display_name"},
		{"a studio's display name with a bidi override is invalid", "", func() *memberv1.Member { m := base("b", "s1"); m.Studios[0].DisplayName = "\u202eabc"; return m }(),
			codes.InvalidArgument, "INVALID_ARGUMENT", "member.studios[0].display_name"},
		{"unknown district is invalid", "", &memberv1.Member{Kind: memberv1.MemberKind_MEMBER_KIND_HOST, DisplayName: "x", District: "atlantis"}, codes.InvalidArgument, "INVALID_ARGUMENT", "member.district"},
		{"missing kind is invalid", "", &memberv1.Member{DisplayName: "x", District: "banan"}, codes.InvalidArgument, "INVALID_ARGUMENT", "member.kind"},
		{"member_id must start with a letter", "1abc", host("x"), codes.InvalidArgument, "INVALID_ARGUMENT", "member_id"},
		{"member_id must be lowercase", "Host", host("x"), codes.InvalidArgument, "INVALID_ARGUMENT", "member_id"},
		{"member_id of 64 characters is too long", strings.Repeat("a", 64), host("x"), codes.InvalidArgument, "INVALID_ARGUMENT", "member_id"},
		{"a studio id must follow the id alphabet", "", base("b", "Studio_1"), codes.InvalidArgument, "INVALID_ARGUMENT", "member.studios[0].studio_id"},
		{"a studio listed twice is invalid", "", base("b", "s1", "s1"), codes.InvalidArgument, "INVALID_ARGUMENT", "member.studios[1].studio_id"},
		{"a bad email is invalid", "", &memberv1.Member{Kind: memberv1.MemberKind_MEMBER_KIND_HOST, DisplayName: "x", District: "banan", Contact: &memberv1.Contact{Email: "not-an-email"}}, codes.InvalidArgument, "INVALID_ARGUMENT", "member.contact.email"},
		{"agency only on HOST", "", withAgency(ofKind(memberv1.MemberKind_MEMBER_KIND_MERCHANT, "banan"), "members/agency-a"), codes.FailedPrecondition, "WRONG_MEMBER_KIND", ""},
		{"studios only on BASE", "", func() *memberv1.Member { m := host("x"); m.Studios = base("b", "s1").Studios; return m }(), codes.FailedPrecondition, "WRONG_MEMBER_KIND", ""},
		{"official only on HOST", "", official(ofKind(memberv1.MemberKind_MEMBER_KIND_BASE, "dazu")), codes.FailedPrecondition, "WRONG_MEMBER_KIND", ""},
		{"the agency must be an AGENCY", "", withAgency(host("x"), "members/merchant-m"), codes.FailedPrecondition, "WRONG_MEMBER_KIND", ""},
		{"the agency must be ACTIVE", "", withAgency(host("x"), "members/agency-s"), codes.FailedPrecondition, "AGENCY_NOT_ACTIVE", ""},
		{"the agency must exist", "", withAgency(host("x"), "members/ghost"), codes.NotFound, "AGENCY_NOT_FOUND", ""},
		{"an id that exists is ALREADY_EXISTS", "agency-a", host("x"), codes.AlreadyExists, "MEMBER_ALREADY_EXISTS", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := c.CreateMember(ctx, &memberv1.CreateMemberRequest{MemberId: tc.id, Member: tc.member})
			if tc.code == codes.OK {
				if err != nil {
					t.Fatal(err)
				}
				if got.Name != "members/"+tc.id || got.State != memberv1.MemberState_MEMBER_STATE_ACTIVE || got.Etag == "" || got.CreateTime == nil {
					t.Fatalf("created %v", got)
				}
				return
			}
			wantErr(t, err, tc.code, tc.reason)
			if tc.field != "" {
				if f := grpcx.FieldViolations(err); len(f) != 1 || f[0] != tc.field {
					t.Fatalf("field violations %v, want [%s]", f, tc.field)
				}
			}
		})
	}
}

func TestServerMadeIDsAndRequestIDs(t *testing.T) {
	c := startRegistry(t, t.TempDir())
	a := create(t, c, "", host("无名"))
	id := strings.TrimPrefix(a.Name, "members/")
	if len(id) < 8 || id[0] < 'a' || id[0] > 'z' || strings.Trim(id, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" {
		t.Fatalf("server-made id %q is outside the id alphabet", id)
	}
	req := &memberv1.CreateMemberRequest{RequestId: "req-1", Member: host("重复")}
	first := must[*memberv1.Member](t)(c.CreateMember(ctx, req))
	again := must[*memberv1.Member](t)(c.CreateMember(ctx, req))
	if first.Name != again.Name || first.Etag != again.Etag {
		t.Fatalf("a repeated request_id made %s after %s", again.Name, first.Name)
	}
	list := must[*memberv1.ListMembersResponse](t)(c.ListMembers(ctx, &memberv1.ListMembersRequest{}))
	if len(list.Members) != 2 {
		t.Fatalf("%d members stored, want 2", len(list.Members))
	}
}

func TestGetAndBatchGet(t *testing.T) {
	c := startRegistry(t, t.TempDir())
	create(t, c, "a", host("甲"))
	create(t, c, "b", host("乙"))
	_, err := c.GetMember(ctx, &memberv1.GetMemberRequest{Name: "members/zzz"})
	wantErr(t, err, codes.NotFound, "MEMBER_NOT_FOUND")
	_, err = c.GetMember(ctx, &memberv1.GetMemberRequest{Name: "hosts/a"})
	wantErr(t, err, codes.InvalidArgument, "INVALID_ARGUMENT")

	got := must[*memberv1.BatchGetMembersResponse](t)(c.BatchGetMembers(ctx, &memberv1.BatchGetMembersRequest{Names: []string{"members/b", "members/a"}}))
	if len(got.Members) != 2 || got.Members[0].Name != "members/b" || got.Members[1].Name != "members/a" {
		t.Fatalf("batch get order: %v", got.Members)
	}
	_, err = c.BatchGetMembers(ctx, &memberv1.BatchGetMembersRequest{Names: []string{"members/a", "members/nope"}})
	wantErr(t, err, codes.NotFound, "MEMBER_NOT_FOUND")
	if n := grpcx.ErrorInfo(err).GetMetadata()["name"]; n != "members/nope" {
		t.Fatalf("ErrorInfo metadata name = %q", n)
	}
}

func TestStateTransitions(t *testing.T) {
	type step struct {
		action string
		code   codes.Code
		state  memberv1.MemberState
	}
	cases := []struct {
		name  string
		steps []step
	}{
		{"suspend then reinstate", []step{{"suspend", codes.OK, memberv1.MemberState_MEMBER_STATE_SUSPENDED}, {"reinstate", codes.OK, memberv1.MemberState_MEMBER_STATE_ACTIVE}}},
		{"suspending a SUSPENDED member is refused", []step{{"suspend", codes.OK, memberv1.MemberState_MEMBER_STATE_SUSPENDED}, {"suspend", codes.FailedPrecondition, 0}}},
		{"reinstating an ACTIVE member is refused", []step{{"reinstate", codes.FailedPrecondition, 0}}},
		{"withdraw from ACTIVE", []step{{"withdraw", codes.OK, memberv1.MemberState_MEMBER_STATE_WITHDRAWN}}},
		{"withdraw from SUSPENDED", []step{{"suspend", codes.OK, memberv1.MemberState_MEMBER_STATE_SUSPENDED}, {"withdraw", codes.OK, memberv1.MemberState_MEMBER_STATE_WITHDRAWN}}},
		{"WITHDRAWN is terminal: no reinstate", []step{{"withdraw", codes.OK, memberv1.MemberState_MEMBER_STATE_WITHDRAWN}, {"reinstate", codes.FailedPrecondition, 0}}},
		{"WITHDRAWN is terminal: no suspend", []step{{"withdraw", codes.OK, memberv1.MemberState_MEMBER_STATE_WITHDRAWN}, {"suspend", codes.FailedPrecondition, 0}}},
		{"WITHDRAWN is terminal: no second withdraw", []step{{"withdraw", codes.OK, memberv1.MemberState_MEMBER_STATE_WITHDRAWN}, {"withdraw", codes.FailedPrecondition, 0}}},
	}
	c := startRegistry(t, t.TempDir())
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := create(t, c, fmt.Sprintf("m%d", i), host("主播"))
			for _, s := range tc.steps {
				var got *memberv1.Member
				var err error
				switch s.action {
				case "suspend":
					got, err = c.SuspendMember(ctx, &memberv1.SuspendMemberRequest{Name: m.Name, Reason: "test"})
				case "reinstate":
					got, err = c.ReinstateMember(ctx, &memberv1.ReinstateMemberRequest{Name: m.Name})
				case "withdraw":
					got, err = c.WithdrawMember(ctx, &memberv1.WithdrawMemberRequest{Name: m.Name, Reason: "left"})
				}
				if s.code != codes.OK {
					wantErr(t, err, s.code, "INVALID_STATE_TRANSITION")
					continue
				}
				if err != nil || got.State != s.state {
					t.Fatalf("%s: %v, %v; want state %v", s.action, got.GetState(), err, s.state)
				}
			}
		})
	}
	_, err := c.SuspendMember(ctx, &memberv1.SuspendMemberRequest{Name: "members/ghost"})
	wantErr(t, err, codes.NotFound, "MEMBER_NOT_FOUND")
}

func TestUpdateMember(t *testing.T) {
	c := startRegistry(t, t.TempDir())
	create(t, c, "agency-a", ofKind(memberv1.MemberKind_MEMBER_KIND_AGENCY, "yuzhong"))
	m := create(t, c, "h", &memberv1.Member{Kind: memberv1.MemberKind_MEMBER_KIND_HOST, DisplayName: "旧名", District: "banan",
		Contact: &memberv1.Contact{Person: "经纪人", Phone: "023-1234"}})

	t.Run("the mask limits what changes", func(t *testing.T) {
		got := must[*memberv1.Member](t)(c.UpdateMember(ctx, &memberv1.UpdateMemberRequest{
			Member:     &memberv1.Member{Name: m.Name, DisplayName: "新名", District: "dazu"},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"display_name"}},
		}))
		if got.DisplayName != "新名" || got.District != "banan" || got.Etag == m.Etag {
			t.Fatalf("after update: %v", got)
		}
		m = got
	})
	t.Run("an empty mask updates the fields that are set", func(t *testing.T) {
		got := must[*memberv1.Member](t)(c.UpdateMember(ctx, &memberv1.UpdateMemberRequest{
			Member: &memberv1.Member{Name: m.Name, Agency: "members/agency-a"},
		}))
		if got.Agency != "members/agency-a" || got.DisplayName != "新名" || got.Contact.GetPerson() != "经纪人" {
			t.Fatalf("after update: %v", got)
		}
		m = got
	})
	t.Run("a sub-field path changes only that sub-field", func(t *testing.T) {
		got := must[*memberv1.Member](t)(c.UpdateMember(ctx, &memberv1.UpdateMemberRequest{
			Member:     &memberv1.Member{Name: m.Name, Contact: &memberv1.Contact{Phone: "023-9999"}},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"contact.phone"}},
		}))
		if got.Contact.GetPhone() != "023-9999" || got.Contact.GetPerson() != "经纪人" {
			t.Fatalf("contact after update: %v", got.Contact)
		}
		m = got
	})
	t.Run("a stale etag is ABORTED and changes nothing", func(t *testing.T) {
		_, err := c.UpdateMember(ctx, &memberv1.UpdateMemberRequest{
			Member:     &memberv1.Member{Name: m.Name, DisplayName: "冲突", Etag: "r1"},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"display_name"}},
		})
		wantErr(t, err, codes.Aborted, "ETAG_MISMATCH")
		got := must[*memberv1.Member](t)(c.GetMember(ctx, &memberv1.GetMemberRequest{Name: m.Name}))
		if got.DisplayName != "新名" || got.Etag != m.Etag {
			t.Fatalf("a refused update changed the member: %v", got)
		}
	})
	t.Run("kind is fixed at creation", func(t *testing.T) {
		_, err := c.UpdateMember(ctx, &memberv1.UpdateMemberRequest{
			Member:     &memberv1.Member{Name: m.Name, Kind: memberv1.MemberKind_MEMBER_KIND_BASE},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"kind"}},
		})
		wantErr(t, err, codes.InvalidArgument, "IMMUTABLE_FIELD")
	})
	t.Run("an unknown path is INVALID_ARGUMENT", func(t *testing.T) {
		_, err := c.UpdateMember(ctx, &memberv1.UpdateMemberRequest{
			Member:     &memberv1.Member{Name: m.Name},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"shoe_size"}},
		})
		wantErr(t, err, codes.InvalidArgument, "INVALID_ARGUMENT")
	})
	t.Run("studios cannot be added to a HOST", func(t *testing.T) {
		_, err := c.UpdateMember(ctx, &memberv1.UpdateMemberRequest{
			Member:     &memberv1.Member{Name: m.Name, Studios: base("b", "s1").Studios},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"studios"}},
		})
		wantErr(t, err, codes.FailedPrecondition, "WRONG_MEMBER_KIND")
	})
	t.Run("output-only paths are ignored", func(t *testing.T) {
		got := must[*memberv1.Member](t)(c.UpdateMember(ctx, &memberv1.UpdateMemberRequest{
			Member:     &memberv1.Member{Name: m.Name, State: memberv1.MemberState_MEMBER_STATE_WITHDRAWN},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"state"}},
		}))
		if got.State != memberv1.MemberState_MEMBER_STATE_ACTIVE {
			t.Fatalf("state changed through update: %v", got.State)
		}
	})
}

func TestConcurrentUpdatesWithOneEtagExactlyOneWins(t *testing.T) {
	c := startRegistry(t, t.TempDir())
	m := create(t, c, "h", host("主播"))
	const n = 20
	var wg sync.WaitGroup
	codesSeen := make(chan codes.Code, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.UpdateMember(ctx, &memberv1.UpdateMemberRequest{
				Member:     &memberv1.Member{Name: m.Name, DisplayName: fmt.Sprintf("名字%d", i), Etag: m.Etag},
				UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"display_name"}},
			})
			if err != nil && grpcx.Reason(err) != "ETAG_MISMATCH" {
				t.Errorf("unexpected error: %v", err)
			}
			codesSeen <- status.Code(err)
		}()
	}
	wg.Wait()
	close(codesSeen)
	wins, aborted := 0, 0
	for c := range codesSeen {
		switch c {
		case codes.OK:
			wins++
		case codes.Aborted:
			aborted++
		}
	}
	if wins != 1 || aborted != n-1 {
		t.Fatalf("%d updates won and %d were aborted; want 1 and %d", wins, aborted, n-1)
	}
}

func TestProducts(t *testing.T) {
	c := startRegistry(t, t.TempDir())
	create(t, c, "farm", ofKind(memberv1.MemberKind_MEMBER_KIND_MERCHANT, "banan"))
	create(t, c, "shop", ofKind(memberv1.MemberKind_MEMBER_KIND_MERCHANT, "dazu"))
	create(t, c, "h", host("主播"))

	p := must[*memberv1.Product](t)(c.CreateProduct(ctx, &memberv1.CreateProductRequest{Parent: "members/farm", ProductId: "yinzhen", Product: tea()}))
	if p.Name != "members/farm/products/yinzhen" || p.State != memberv1.ProductState_PRODUCT_STATE_ACTIVE {
		t.Fatalf("created %v", p)
	}
	_, err := c.CreateProduct(ctx, &memberv1.CreateProductRequest{Parent: "members/h", Product: tea()})
	wantErr(t, err, codes.FailedPrecondition, "WRONG_MEMBER_KIND")
	_, err = c.CreateProduct(ctx, &memberv1.CreateProductRequest{Parent: "members/ghost", Product: tea()})
	wantErr(t, err, codes.NotFound, "MEMBER_NOT_FOUND")
	_, err = c.CreateProduct(ctx, &memberv1.CreateProductRequest{Parent: "members/farm", ProductId: "yinzhen", Product: tea()})
	wantErr(t, err, codes.AlreadyExists, "PRODUCT_ALREADY_EXISTS")
	bad := tea()
	bad.Category, bad.OriginDistrict, bad.ListPrice = "Green Tea", "mars", &typev1.Money{CurrencyCode: "yuan", MinorUnits: -1}
	_, err = c.CreateProduct(ctx, &memberv1.CreateProductRequest{Parent: "members/farm", Product: bad})
	wantErr(t, err, codes.InvalidArgument, "INVALID_ARGUMENT")
	if f := grpcx.FieldViolations(err); len(f) != 4 {
		t.Fatalf("want 4 field violations at once, got %v", f)
	}

	req := &memberv1.CreateProductRequest{Parent: "members/shop", RequestId: "r", Product: &memberv1.Product{DisplayName: "大足冬菜", Category: "agri-food", OriginDistrict: "dazu", ListPrice: &typev1.Money{CurrencyCode: "CNY", MinorUnits: 2500}}}
	first := must[*memberv1.Product](t)(c.CreateProduct(ctx, req))
	if again := must[*memberv1.Product](t)(c.CreateProduct(ctx, req)); again.Name != first.Name {
		t.Fatalf("repeated request_id made %s after %s", again.Name, first.Name)
	}

	all := must[*memberv1.ListProductsResponse](t)(c.ListProducts(ctx, &memberv1.ListProductsRequest{Parent: "members/-"}))
	if len(all.Products) != 2 {
		t.Fatalf("members/- listed %d products, want 2", len(all.Products))
	}
	teaOnly := must[*memberv1.ListProductsResponse](t)(c.ListProducts(ctx, &memberv1.ListProductsRequest{Parent: "members/-", Category: "tea"}))
	if len(teaOnly.Products) != 1 || teaOnly.Products[0].Name != p.Name {
		t.Fatalf("category filter: %v", teaOnly.Products)
	}
	farm := must[*memberv1.ListProductsResponse](t)(c.ListProducts(ctx, &memberv1.ListProductsRequest{Parent: "members/farm"}))
	if len(farm.Products) != 1 {
		t.Fatalf("parent filter: %v", farm.Products)
	}

	upd := must[*memberv1.Product](t)(c.UpdateProduct(ctx, &memberv1.UpdateProductRequest{
		Product:    &memberv1.Product{Name: p.Name, State: memberv1.ProductState_PRODUCT_STATE_DISCONTINUED, Etag: p.Etag},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"state"}},
	}))
	if upd.State != memberv1.ProductState_PRODUCT_STATE_DISCONTINUED || upd.DisplayName != "巴南银针" {
		t.Fatalf("after update: %v", upd)
	}
	_, err = c.UpdateProduct(ctx, &memberv1.UpdateProductRequest{
		Product:    &memberv1.Product{Name: p.Name, DisplayName: "x", Etag: p.Etag},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"display_name"}},
	})
	wantErr(t, err, codes.Aborted, "ETAG_MISMATCH")
	_, err = c.GetProduct(ctx, &memberv1.GetProductRequest{Name: "members/farm/products/none"})
	wantErr(t, err, codes.NotFound, "PRODUCT_NOT_FOUND")
}

func TestPagingThrough2500Members(t *testing.T) {
	c := startRegistry(t, t.TempDir())
	const n = 2500
	var wg sync.WaitGroup
	for w := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 10 {
				m := host(fmt.Sprintf("主播%d", i))
				if i%3 == 0 {
					m.District = "dazu"
				}
				if _, err := c.CreateMember(ctx, &memberv1.CreateMemberRequest{MemberId: fmt.Sprintf("h%05d", i), Member: m}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()

	walk := func(req *memberv1.ListMembersRequest) []string {
		var names []string
		for pages := 0; ; pages++ {
			if pages > n {
				t.Fatal("paging does not end")
			}
			resp := must[*memberv1.ListMembersResponse](t)(c.ListMembers(ctx, req))
			for _, m := range resp.Members {
				names = append(names, m.Name)
			}
			if resp.NextPageToken == "" {
				return names
			}
			req.PageToken = resp.NextPageToken
		}
	}
	names := walk(&memberv1.ListMembersRequest{PageSize: 97})
	if len(names) != n {
		t.Fatalf("paged %d members, want %d", len(names), n)
	}
	for i, name := range names {
		if want := fmt.Sprintf("members/h%05d", i); name != want {
			t.Fatalf("position %d: %s, want %s (a duplicate, a gap or a wrong order)", i, name, want)
		}
	}
	dazu := walk(&memberv1.ListMembersRequest{District: "dazu", PageSize: 50})
	if len(dazu) != (n+2)/3 {
		t.Fatalf("filtered paging gave %d, want %d", len(dazu), (n+2)/3)
	}

	first := must[*memberv1.ListMembersResponse](t)(c.ListMembers(ctx, &memberv1.ListMembersRequest{}))
	if len(first.Members) != 50 {
		t.Fatalf("default page size gave %d, want 50", len(first.Members))
	}
	big := must[*memberv1.ListMembersResponse](t)(c.ListMembers(ctx, &memberv1.ListMembersRequest{PageSize: 5000}))
	if len(big.Members) != 1000 {
		t.Fatalf("page_size 5000 gave %d, want the cap of 1000", len(big.Members))
	}
	_, err := c.ListMembers(ctx, &memberv1.ListMembersRequest{PageSize: -1})
	wantErr(t, err, codes.InvalidArgument, "INVALID_ARGUMENT")

	tok := []byte(first.NextPageToken)
	tok[len(tok)/2] ^= 1
	_, err = c.ListMembers(ctx, &memberv1.ListMembersRequest{PageToken: string(tok)})
	wantErr(t, err, codes.InvalidArgument, "INVALID_ARGUMENT")
	_, err = c.ListMembers(ctx, &memberv1.ListMembersRequest{District: "dazu", PageToken: first.NextPageToken})
	wantErr(t, err, codes.InvalidArgument, "INVALID_ARGUMENT")
}

func TestRestartKeepsEveryRecordAndTokens(t *testing.T) {
	dir := t.TempDir()
	srv, err := app.New(app.Config{Config: service.Config{DataDir: dir}}, testkit.Quiet)
	if err != nil {
		t.Fatal(err)
	}
	addr, stop := testkit.ServeOn(t, srv, "127.0.0.1:0")
	c := memberv1.NewMemberRegistryClient(testkit.Dial(t, addr))
	for i := range 5 {
		create(t, c, fmt.Sprintf("m%d", i), ofKind(memberv1.MemberKind_MEMBER_KIND_MERCHANT, "banan"))
	}
	p := must[*memberv1.Product](t)(c.CreateProduct(ctx, &memberv1.CreateProductRequest{Parent: "members/m0", Product: tea()}))
	page := must[*memberv1.ListMembersResponse](t)(c.ListMembers(ctx, &memberv1.ListMembersRequest{PageSize: 2}))
	stop()

	c2 := startRegistry(t, dir)
	rest := must[*memberv1.ListMembersResponse](t)(c2.ListMembers(ctx, &memberv1.ListMembersRequest{PageSize: 10, PageToken: page.NextPageToken}))
	if len(rest.Members) != 3 || rest.Members[0].Name != "members/m2" {
		t.Fatalf("after restart the page token resumed at %v", rest.Members)
	}
	if _, err := c2.GetMember(ctx, &memberv1.GetMemberRequest{Name: "members/m4"}); err != nil {
		t.Fatal(err)
	}
	got := must[*memberv1.Product](t)(c2.GetProduct(ctx, &memberv1.GetProductRequest{Name: p.Name}))
	if got.Etag != p.Etag || got.DisplayName != p.DisplayName {
		t.Fatalf("product after restart: %v, want %v", got, p)
	}
}

// TestSecondProcessFailsFast starts the real binary on a data folder this
// test's registry already holds, and expects it to exit within seconds with
// a message that names the file.
func TestSecondProcessFailsFast(t *testing.T) {
	dir := t.TempDir()
	startRegistry(t, dir)
	bin := filepath.Join(t.TempDir(), "member-registry")
	build := exec.Command("go", "build", "-o", bin, "../cmd/member-registry")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	cmdCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	start := time.Now()
	out, err := exec.CommandContext(cmdCtx, bin, "-data-dir", dir, "-grpc-addr", "127.0.0.1:0", "-lock-timeout", "1s").CombinedOutput()
	if err == nil {
		t.Fatal("the second process started on a locked file")
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Fatalf("the second process took %s to give up", took)
	}
	if want := filepath.Join(dir, "member.db"); !strings.Contains(string(out), want) || !strings.Contains(string(out), "locked") {
		t.Fatalf("message does not name the locked file %s:\n%s", want, out)
	}
}

// A host's agency is checked when it is set. A host whose agency was
// suspended (or withdrawn, for good) since keeps it, and was refused every
// later update, of its name or its contact too, as AGENCY_NOT_ACTIVE: a
// rule of a field the update did not touch. Setting an agency that is not
// ACTIVE is still refused.
func TestAHostOfASuspendedAgencyStillUpdatesItsOtherFields(t *testing.T) {
	c := startRegistry(t, t.TempDir())
	agency := create(t, c, "agency-s", ofKind(memberv1.MemberKind_MEMBER_KIND_AGENCY, "banan"))
	h := host("主播")
	h.Agency = agency.Name
	h = create(t, c, "host-s", h)
	must[*memberv1.Member](t)(c.SuspendMember(ctx, &memberv1.SuspendMemberRequest{Name: agency.Name, Reason: "audit"}))

	got, err := c.UpdateMember(ctx, &memberv1.UpdateMemberRequest{
		Member:     &memberv1.Member{Name: h.Name, DisplayName: "新名", Contact: &memberv1.Contact{Phone: "023-1"}},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"display_name", "contact.phone"}},
	})
	if err != nil || got.DisplayName != "新名" || got.Contact.GetPhone() != "023-1" || got.Agency != agency.Name {
		t.Fatalf("update of a host of a suspended agency: %v, %v", got, err)
	}
	// Sent back as read, its agency named with the value it has: what
	// changed is updated, the agency is not judged again.
	got, err = c.UpdateMember(ctx, &memberv1.UpdateMemberRequest{
		Member:     &memberv1.Member{Name: h.Name, Agency: agency.Name, DisplayName: "又一个名"},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"agency", "display_name"}},
	})
	if err != nil || got.DisplayName != "又一个名" || got.Agency != agency.Name {
		t.Fatalf("a host of a suspended agency, sent back with its agency: %v, %v", got, err)
	}
	// Moving to another agency that is not ACTIVE is refused.
	suspended := create(t, c, "agency-u", ofKind(memberv1.MemberKind_MEMBER_KIND_AGENCY, "banan"))
	must[*memberv1.Member](t)(c.SuspendMember(ctx, &memberv1.SuspendMemberRequest{Name: suspended.Name, Reason: "audit"}))
	_, err = c.UpdateMember(ctx, &memberv1.UpdateMemberRequest{
		Member:     &memberv1.Member{Name: h.Name, Agency: suspended.Name},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"agency"}},
	})
	wantErr(t, err, codes.FailedPrecondition, "AGENCY_NOT_ACTIVE")
	other := create(t, c, "host-t", host("另一个"))
	_, err = c.UpdateMember(ctx, &memberv1.UpdateMemberRequest{Member: &memberv1.Member{Name: other.Name, Agency: agency.Name}})
	wantErr(t, err, codes.FailedPrecondition, "AGENCY_NOT_ACTIVE")
}

// An update that sets a display name is held to the create's rule of what
// a name may hold; a product's name too.
func TestAnUpdatedDisplayNameIsHeldToTheNameRule(t *testing.T) {
	c := startRegistry(t, t.TempDir())
	h := create(t, c, "host-n", host("主播"))
	_, err := c.UpdateMember(ctx, &memberv1.UpdateMemberRequest{
		Member: &memberv1.Member{Name: h.Name, DisplayName: "\u202e播主"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"display_name"}}})
	wantErr(t, err, codes.InvalidArgument, "INVALID_ARGUMENT")
	m := create(t, c, "merchant-n", ofKind(memberv1.MemberKind_MEMBER_KIND_MERCHANT, "banan"))
	p := must[*memberv1.Product](t)(c.CreateProduct(ctx, &memberv1.CreateProductRequest{Parent: m.Name, ProductId: "tea", Product: tea()}))
	_, err = c.UpdateProduct(ctx, &memberv1.UpdateProductRequest{
		Product: &memberv1.Product{Name: p.Name, DisplayName: "  "}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"display_name"}}})
	wantErr(t, err, codes.InvalidArgument, "INVALID_ARGUMENT")
	bad := tea()
	bad.DisplayName = "茶\n叶"
	wantErr(t, errOf(c.CreateProduct(ctx, &memberv1.CreateProductRequest{Parent: m.Name, ProductId: "tea2", Product: bad})), codes.InvalidArgument, "INVALID_ARGUMENT")
}

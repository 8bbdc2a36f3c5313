package registry_test

import (
	"context"
	"github.com/cqlive/alliance/services/kit/members"
	"testing"

	"github.com/cqlive/alliance/services/kit/etag"
	"github.com/cqlive/alliance/services/kit/fault"
	"github.com/cqlive/alliance/services/member-registry/internal/registry"
)

// The registry's rules, checked on the domain with a real store; the gRPC
// harness in app checks their wiring.

func wantReason(t *testing.T, err error, want fault.Reason) {
	t.Helper()
	if got := fault.ReasonOf(err); got != want || err != nil && want == (fault.Reason{}) {
		t.Fatalf("%v, want reason %q", err, want)
	}
}

func member(kind registry.Kind, edit func(*registry.Member)) registry.Member {
	m := registry.Member{Kind: kind, DisplayName: "成员", District: "banan"}
	if edit != nil {
		edit(&m)
	}
	return m
}

// seed makes an ACTIVE agency, a SUSPENDED agency, a base, a merchant and
// a suspended merchant.
func seed(t *testing.T, svc *registry.Service) {
	t.Helper()
	for id, m := range map[string]registry.Member{
		"agency":      member(members.Agency, nil),
		"idle-agency": member(members.Agency, nil),
		"base":        member(members.Base, nil),
		"farm":        member(members.Merchant, nil),
		"idle-farm":   member(members.Merchant, nil),
	} {
		if _, err := svc.CreateMember(m, id, ""); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []string{"idle-agency", "idle-farm"} {
		if _, err := svc.SuspendMember(id, "audit", ""); err != nil {
			t.Fatal(err)
		}
	}
}

func TestWhatEachKindOfMemberMayHave(t *testing.T) {
	svc := newService(t, &asked{})
	seed(t, svc)
	for _, c := range []struct {
		name string
		m    registry.Member
		want fault.Reason
	}{
		{"a host with an ACTIVE agency", member(members.Host, func(m *registry.Member) { m.Agency = "members/agency" }), fault.Reason{}},
		{"an official host", member(members.Host, func(m *registry.Member) { m.Official = true }), fault.Reason{}},
		{"a base with studios", member(members.Base, func(m *registry.Member) { m.Studios = []registry.Studio{{ID: "s1", DisplayName: "一号"}} }), fault.Reason{}},
		{"agency: only a HOST has one", member(members.Base, func(m *registry.Member) { m.Agency = "members/agency" }), registry.ReasonWrongMemberKind},
		{"official: only a HOST is one", member(members.Merchant, func(m *registry.Member) { m.Official = true }), registry.ReasonWrongMemberKind},
		{"studios: only a BASE has them", member(members.Host, func(m *registry.Member) { m.Studios = []registry.Studio{{ID: "s1", DisplayName: "一号"}} }), registry.ReasonWrongMemberKind},
		{"agency: it must exist", member(members.Host, func(m *registry.Member) { m.Agency = "members/nobody" }), registry.ReasonAgencyNotFound},
		{"agency: it must be an AGENCY", member(members.Host, func(m *registry.Member) { m.Agency = "members/base" }), registry.ReasonWrongMemberKind},
		{"agency: it must be ACTIVE", member(members.Host, func(m *registry.Member) { m.Agency = "members/idle-agency" }), registry.ReasonAgencyNotActive},
		{"district: it must be on the list", member(members.Host, func(m *registry.Member) { m.District = "atlantis" }), fault.ReasonInvalidArgument},
		{"kind: it must be one of the five", member(members.KindUnspecified, nil), fault.ReasonInvalidArgument},
		{"studios: none listed twice", member(members.Base, func(m *registry.Member) {
			m.Studios = []registry.Studio{{ID: "s1", DisplayName: "一号"}, {ID: "s1", DisplayName: "二号"}}
		}), fault.ReasonInvalidArgument},
		{"contact: an email is an address", member(members.Host, func(m *registry.Member) { m.Contact.Email = "not an address" }), fault.ReasonInvalidArgument},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := svc.CreateMember(c.m, "", "")
			wantReason(t, err, c.want)
		})
	}
}

func TestMemberStatesMoveOnlyAsTheStateMachineSays(t *testing.T) {
	type action func(svc *registry.Service, id string) error
	suspend := func(svc *registry.Service, id string) error { _, err := svc.SuspendMember(id, "r", ""); return err }
	reinstate := func(svc *registry.Service, id string) error { _, err := svc.ReinstateMember(id, ""); return err }
	withdraw := func(svc *registry.Service, id string) error { _, err := svc.WithdrawMember(id, "r", ""); return err }
	for _, c := range []struct {
		name  string
		setup []action
		do    action
		want  fault.Reason
		state registry.State
	}{
		{"ACTIVE -> SUSPENDED", nil, suspend, fault.Reason{}, members.Suspended},
		{"ACTIVE -> WITHDRAWN", nil, withdraw, fault.Reason{}, members.Withdrawn},
		{"an ACTIVE member is not reinstated", nil, reinstate, registry.ReasonInvalidStateTransition, members.Active},
		{"SUSPENDED -> ACTIVE", []action{suspend}, reinstate, fault.Reason{}, members.Active},
		{"SUSPENDED -> WITHDRAWN", []action{suspend}, withdraw, fault.Reason{}, members.Withdrawn},
		{"a SUSPENDED member is not suspended again", []action{suspend}, suspend, registry.ReasonInvalidStateTransition, members.Suspended},
		{"WITHDRAWN is terminal: no reinstating", []action{withdraw}, reinstate, registry.ReasonInvalidStateTransition, members.Withdrawn},
		{"WITHDRAWN is terminal: no suspending", []action{withdraw}, suspend, registry.ReasonInvalidStateTransition, members.Withdrawn},
		{"WITHDRAWN is terminal: no withdrawing again", []action{withdraw}, withdraw, registry.ReasonInvalidStateTransition, members.Withdrawn},
	} {
		t.Run(c.name, func(t *testing.T) {
			svc := newService(t, &asked{})
			if _, err := svc.CreateMember(member(members.Host, nil), "h", ""); err != nil {
				t.Fatal(err)
			}
			for _, a := range c.setup {
				if err := a(svc, "h"); err != nil {
					t.Fatal(err)
				}
			}
			wantReason(t, c.do(svc, "h"), c.want)
			if m, _ := svc.GetMember("h"); m.State != c.state {
				t.Fatalf("state %s, want %s", m.State, c.state)
			}
		})
	}
}

func TestAWriteWithAStaleEtagIsRefused(t *testing.T) {
	svc := newService(t, &asked{})
	m, err := svc.CreateMember(member(members.Host, nil), "h", "")
	if err != nil {
		t.Fatal(err)
	}
	stale := etag.Of(m.Revision)
	if _, err := svc.UpdateMember(staff, registry.Member{ID: "h", DisplayName: "新名"}, []string{"display_name"}, stale); err != nil {
		t.Fatalf("the current etag: %v", err)
	}
	_, err = svc.SuspendMember("h", "r", stale)
	wantReason(t, err, fault.ReasonETagMismatch)
	_, err = svc.UpdateMember(staff, registry.Member{ID: "h", DisplayName: "又一名"}, []string{"display_name"}, stale)
	wantReason(t, err, fault.ReasonETagMismatch)
}

func TestAWithdrawnMemberNoLongerChanges(t *testing.T) {
	svc := newService(t, &asked{})
	if _, err := svc.CreateMember(member(members.Host, nil), "h", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.WithdrawMember("h", "left", ""); err != nil {
		t.Fatal(err)
	}
	_, err := svc.UpdateMember(staff, registry.Member{ID: "h", DisplayName: "新名"}, []string{"display_name"}, "")
	wantReason(t, err, registry.ReasonMemberWithdrawn)
	_, _, err = svc.CreateAPIKey("h", "key")
	wantReason(t, err, registry.ReasonMemberWithdrawn)
}

func TestProductRules(t *testing.T) {
	svc := newService(t, &asked{})
	seed(t, svc)
	product := func(edit func(*registry.Product)) *registry.Product {
		p := &registry.Product{DisplayName: "银针", Category: "tea", OriginDistrict: "banan", ListPrice: registry.Money{Currency: "CNY", MinorUnits: 5000}}
		if edit != nil {
			edit(p)
		}
		return p
	}
	for _, c := range []struct {
		name     string
		merchant string
		p        *registry.Product
		want     fault.Reason
	}{
		{"an ACTIVE merchant adds a product", "farm", product(nil), fault.Reason{}},
		{"only a MERCHANT has products", "base", product(nil), registry.ReasonWrongMemberKind},
		{"a SUSPENDED merchant adds none", "idle-farm", product(nil), registry.ReasonMerchantNotActive},
		{"the merchant must exist", "nobody", product(nil), registry.ReasonMemberNotFound},
		{"category: from the list", "farm", product(func(p *registry.Product) { p.Category = "gadgets" }), registry.ReasonUnknownCategory},
		{"price: an ISO 4217 currency", "farm", product(func(p *registry.Product) { p.ListPrice.Currency = "ABC" }), fault.ReasonInvalidArgument},
		{"price: XXX prices nothing", "farm", product(func(p *registry.Product) { p.ListPrice.Currency = "XXX" }), fault.ReasonInvalidArgument},
		{"price: not negative", "farm", product(func(p *registry.Product) { p.ListPrice.MinorUnits = -1 }), fault.ReasonInvalidArgument},
		{"origin district: on the list", "farm", product(func(p *registry.Product) { p.OriginDistrict = "atlantis" }), fault.ReasonInvalidArgument},
		{"a request without a product", "farm", nil, fault.ReasonInvalidArgument},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := svc.CreateProduct(staff, c.merchant, c.p, "", "")
			wantReason(t, err, c.want)
		})
	}
}

func TestWhoMayManageAMember(t *testing.T) {
	svc := newService(t, &asked{})
	seed(t, svc)
	if _, err := svc.CreateMember(member(members.Host, func(m *registry.Member) { m.Agency = "members/agency" }), "h", ""); err != nil {
		t.Fatal(err)
	}
	self := registry.WithCaller(context.Background(), registry.Caller{Member: "members/h"})
	stranger := registry.WithCaller(context.Background(), registry.Caller{Member: "members/farm"})
	service := registry.WithCaller(context.Background(), registry.Caller{Trusted: true})
	readOnly := registry.WithCaller(context.Background(), registry.Caller{Trusted: true})
	update := func(ctx context.Context, patch registry.Member, mask ...string) error {
		patch.ID = "h"
		_, err := svc.UpdateMember(ctx, patch, mask, "")
		return err
	}
	for _, c := range []struct {
		name string
		err  error
		want fault.Reason
	}{
		{"a member updates its own display name", update(self, registry.Member{DisplayName: "我"}, "display_name"), fault.Reason{}},
		{"a member does not update another member", update(stranger, registry.Member{DisplayName: "他"}, "display_name"), fault.ReasonPermissionDenied},
		{"a member does not set its own agency", update(self, registry.Member{Agency: "members/other-agency"}, "agency"), fault.ReasonPermissionDenied},
		{"a member may name its agency with the value it has (its record sent back as read)", update(self, registry.Member{Agency: "members/agency", DisplayName: "我的"}, "agency", "display_name"), fault.Reason{}},
		{"a member does not set its own district", update(self, registry.Member{District: "dazu"}), fault.ReasonPermissionDenied},
		{"a member does not set its official flag, even by replacing everything", update(self, registry.Member{DisplayName: "我"}, "*"), fault.ReasonPermissionDenied},
		{"staff set a host's district", update(staff, registry.Member{District: "dazu"}, "district"), fault.Reason{}},
		{"no caller at all changes nothing", update(context.Background(), registry.Member{DisplayName: "谁"}, "display_name"), fault.ReasonUnauthenticated},
		{"a member lists its own keys", func() error { _, _, err := svc.ListAPIKeys(self, "h", "", 10); return err }(), fault.Reason{}},
		{"a member does not list another's keys", func() error { _, _, err := svc.ListAPIKeys(stranger, "h", "", 10); return err }(), fault.ReasonPermissionDenied},
		{"admins issue staff keys", func() error { _, _, err := svc.CreateStaffKey(staff, "王", registry.RoleReadOnly); return err }(), fault.Reason{}},
		{"a service does not", func() error { _, _, err := svc.CreateStaffKey(service, "王", registry.RoleAdmin); return err }(), fault.ReasonPermissionDenied},
		{"a read-only staff key does not list them", func() error { _, _, err := svc.ListAPIKeys(readOnly, "", "", 10); return err }(), fault.ReasonPermissionDenied},
		{"a member does not revoke them", func() error { _, err := svc.RevokeAPIKey(self, "", "k"); return err }(), fault.ReasonPermissionDenied},
		{"no caller at all manages no staff key", func() error { _, _, err := svc.ListAPIKeys(context.Background(), "", "", 10); return err }(), fault.ReasonUnauthenticated},
	} {
		t.Run(c.name, func(t *testing.T) { wantReason(t, c.err, c.want) })
	}
	for _, c := range []struct {
		name string
		ctx  context.Context
		sees bool
	}{
		{"the member itself sees its contact", self, true},
		{"the alliance's staff do", staff, true},
		{"the suite's services do", service, true},
		{"another member does not", stranger, false},
		{"no caller does not", context.Background(), false},
	} {
		t.Run("contact: "+c.name, func(t *testing.T) {
			if got := svc.SeesContact(c.ctx, "members/h"); got != c.sees {
				t.Fatalf("sees contact %v, want %v", got, c.sees)
			}
		})
	}
}

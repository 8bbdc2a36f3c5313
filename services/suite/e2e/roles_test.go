package e2e

import (
	"strings"
	"testing"
	"time"

	memberv1 "github.com/cqlive/alliance/gen/pb/alliance/member/v1"
	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	sessionv1 "github.com/cqlive/alliance/gen/pb/alliance/session/v1"
	"github.com/cqlive/alliance/services/kit/auth"
	"github.com/cqlive/alliance/services/kit/grpcx"
	memberapp "github.com/cqlive/alliance/services/member-registry/app"
	salesapp "github.com/cqlive/alliance/services/sales-reporting/app"
	sessionapp "github.com/cqlive/alliance/services/session-scheduling/app"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// What every service refuses to a read-only staff key and to a suspended
// member is decided by one rule in kit/auth, from each service's Policy
// table: which methods write. These tests take the writes from those
// tables, so an RPC added later is covered as soon as it has its rule.

// policies are the three services' tables, by gRPC service name.
var policies = map[protoreflect.FullName]auth.Policy{
	"alliance.member.v1.MemberRegistry":    memberapp.Policy,
	"alliance.session.v1.SessionScheduler": sessionapp.Policy,
	"alliance.sales.v1.SalesReporting":     salesapp.Policy,
}

func ruleOf(md protoreflect.MethodDescriptor) auth.Rule {
	return policies[md.Parent().FullName()].RuleFor("/" + string(md.Parent().FullName()) + "/" + string(md.Name()))
}

// adminOnlyReads are reads that a read-only staff key may not make: the
// list of staff keys belongs to the admins.
var adminOnlyReads = map[string]bool{"ListApiKeys2": true}

func TestStaffRolesAcrossTheSuite(t *testing.T) {
	s := startSuite(t)
	f := setUpSweep(t, s)
	cases := f.cases()

	t.Run("the sweep's writes are the Policies' writes", func(t *testing.T) {
		// Two independent lists of what writes: a method annotated as a read
		// that the sweep knows writes (or the reverse) fails here.
		for _, md := range f.methods {
			c, ok := cases[string(md.Name())]
			if !ok {
				t.Errorf("%s has no sweep case", md.FullName())
				continue
			}
			sweepWrites := c.access == write || c.access == lineRefused
			if rule := ruleOf(md); rule.Writes() != sweepWrites {
				t.Errorf("%s: the Policy says %s, the sweep says access %d", md.FullName(), rule, c.access)
			}
		}
	})

	before := f.adminView(t)
	ro := f.staffRO.GetKey()
	rts := routes(t)
	t.Run("a STAFF_READONLY key reads everything and is refused every write, over gRPC and HTTP", func(t *testing.T) {
		writes := 0
		for _, md := range f.methods {
			c := cases[string(md.Name())]
			_, err := f.invoke(t, ro, md, c.req)
			if ruleOf(md).Writes() {
				writes++
				if status.Code(err) != codes.PermissionDenied || grpcx.Reason(err) != auth.ReasonReadOnlyKey {
					t.Errorf("gRPC %s with a read-only key: %v, want PERMISSION_DENIED %s", md.FullName(), err, auth.ReasonReadOnlyKey)
				}
			} else if err != nil {
				t.Errorf("gRPC %s with a read-only key: %v, want OK", md.FullName(), err)
			}
		}
		if writes < 15 {
			t.Fatalf("only %d writes in the three Policies", writes)
		}
		for _, r := range rts {
			md, name := f.byName[r.rpc], r.caseName(cases)
			method, target, body := r.httpRequest(t, s.gatewayURL(), cases[name].req)
			rep := f.http(t, ro, method, target, body)
			switch {
			case ruleOf(md).Writes():
				if rep.code != 403 || reason(rep.result()) != auth.ReasonReadOnlyKey {
					t.Errorf("HTTP %s %s with a read-only key: %d %s, want 403 %s", method, target, rep.code, rep.raw, auth.ReasonReadOnlyKey)
				}
			case adminOnlyReads[name]:
				if rep.code != 403 {
					t.Errorf("HTTP %s %s (the staff keys) with a read-only key: %d %s, want 403", method, target, rep.code, rep.raw)
				}
			case rep.code != 200:
				t.Errorf("HTTP %s %s with a read-only key: %d %s, want 200", method, target, rep.code, rep.raw)
			}
		}
		// Reading everything includes what a member may not see.
		r, err := f.invoke(t, ro, f.byName["alliance.member.v1.MemberRegistry/GetMember"], cases["GetMember"].req)
		if err != nil || !leaksContact(protojson.Format(r)) {
			t.Errorf("a read-only staff key does not see A's contact: %v %v", r, err)
		}
		after := f.adminView(t)
		for i := range before {
			if !proto.Equal(before[i], after[i]) {
				t.Errorf("a read-only staff key changed:\nbefore %v\nafter  %v", before[i], after[i])
			}
		}
	})

	t.Run("an ADMIN staff key writes in every service, and its key id is on each write's log line", func(t *testing.T) {
		key := f.staffAdmin.GetKey()
		keyID := strings.TrimPrefix(f.staffAdmin.GetApiKey().GetName(), "alliance/apiKeys/")
		members, sessions, sales := f.members, f.sessions, f.sales
		if _, err := members.CreateMember(f.ctx(key), &memberv1.CreateMemberRequest{MemberId: "staff-made",
			Member: &memberv1.Member{Kind: memberv1.MemberKind_MEMBER_KIND_HOST, DisplayName: "新主播", District: "dazu"}}); err != nil {
			t.Errorf("CreateMember with an ADMIN staff key: %v", err)
		}
		if _, err := sessions.CancelSession(f.ctx(key), &sessionv1.CancelSessionRequest{Name: laterSession, Reason: "staff"}); err != nil {
			t.Errorf("CancelSession with an ADMIN staff key: %v", err)
		}
		sale := &salesv1.RecordSaleRequest{}
		if err := protojson.Unmarshal([]byte(`{"sale":{"session":"`+liveSession+`","product":"`+productA+`","kind":"SALE_KIND_ORDER","quantity":"1","amount":{"currencyCode":"CNY","minorUnits":"12800"},"platform":"PLATFORM_DOUYIN","externalId":"staff-o1","eventTime":"`+time.Now().UTC().Format(time.RFC3339Nano)+`"}}`), sale); err != nil {
			t.Fatal(err)
		}
		if _, err := sales.RecordSale(f.ctx(key), sale); err != nil {
			t.Errorf("RecordSale with an ADMIN staff key: %v", err)
		}
		for proc, method := range map[string]string{
			"member-registry":    "/alliance.member.v1.MemberRegistry/CreateMember",
			"session-scheduling": "/alliance.session.v1.SessionScheduler/CancelSession",
			"sales-reporting":    "/alliance.sales.v1.SalesReporting/RecordSale",
		} {
			if line := s.logLine(proc, `"method":"`+method+`"`, `"key_id":"`+keyID+`"`); line == "" {
				t.Errorf("%s: no log line of %s with key_id %s", proc, method, keyID)
			} else if strings.Contains(line, key) || strings.Contains(line, strings.TrimPrefix(key, "mk_"+keyID+"_")) {
				t.Errorf("%s logs the key's secret: %s", proc, line)
			}
		}
		// The bootstrap key is named by its stable id, never by itself.
		if line := s.logLine("member-registry", `"key_id":"`+auth.BootstrapKeyID(s.adminKey)+`"`); line == "" {
			t.Errorf("no log line names the bootstrap key by %s", auth.BootstrapKeyID(s.adminKey))
		}
		// The lines waited for above are in: absence is looked for once.
		if s.findLogLine("member-registry", []string{s.adminKey}) != "" || s.findLogLine("session-scheduling", []string{s.adminKey}) != "" {
			t.Error("the bootstrap key is in a log")
		}
	})
}

// TestASuspendedMemberReadsAndDoesNotWriteAnywhere: B, a host with a live
// session and a sale, is suspended before its key is first used, so no
// key cache holds it as ACTIVE. Every write B's kind may make is then
// FAILED_PRECONDITION MEMBER_SUSPENDED in all three services, over gRPC
// (400 over HTTP), and B still reads its own data.
func TestASuspendedMemberReadsAndDoesNotWriteAnywhere(t *testing.T) {
	s := startSuite(t)
	f := setUpSweep(t, s)
	if _, err := f.members.SuspendMember(f.ctx(s.adminKey), &memberv1.SuspendMemberRequest{Name: memberB, Reason: "审核中"}); err != nil {
		t.Fatal(err)
	}
	cases := f.cases()
	// The sweep's writes aim at A's and B's resources; B's own ones are what
	// a host may write: its profile, its sessions, their sales.
	cases["UpdateMember"] = struct {
		access access
		req    string
	}{write, `{"member":{"name":"` + memberB + `","displayName":"改名"},"updateMask":"displayName"}`}
	before := f.adminView(t)
	for _, md := range f.methods {
		rule := ruleOf(md)
		if !rule.Writes() {
			continue
		}
		_, err := f.invoke(t, f.keyB, md, cases[string(md.Name())].req)
		want, reason := codes.FailedPrecondition, auth.ReasonMemberSuspended
		if rule.Who() != auth.Members {
			want, reason = codes.PermissionDenied, "PERMISSION_DENIED" // not a member's call at all
		}
		if status.Code(err) != want || grpcx.Reason(err) != reason {
			t.Errorf("gRPC %s as suspended B: %v, want %v %s", md.FullName(), err, want, reason)
		}
	}
	for _, r := range routes(t) {
		md := f.byName[r.rpc]
		if rule := ruleOf(md); !rule.Writes() || rule.Who() != auth.Members {
			continue
		}
		method, target, body := r.httpRequest(t, s.gatewayURL(), cases[r.caseName(cases)].req)
		rep := f.http(t, f.keyB, method, target, body)
		if rep.code != 400 || reason(rep.result()) != auth.ReasonMemberSuspended {
			t.Errorf("HTTP %s %s as suspended B: %d %s, want 400 %s", method, target, rep.code, rep.raw, auth.ReasonMemberSuspended)
		}
	}
	for _, name := range []string{
		"alliance.member.v1.MemberRegistry/GetMember", "alliance.member.v1.MemberRegistry/ListProducts",
		"alliance.session.v1.SessionScheduler/GetSession", "alliance.session.v1.SessionScheduler/ListSessions",
		"alliance.sales.v1.SalesReporting/ListSales", "alliance.sales.v1.SalesReporting/GetSessionSummary",
		"alliance.sales.v1.SalesReporting/GetAllianceOverview",
	} {
		md := f.byName[name]
		if _, err := f.invoke(t, f.keyB, md, cases[string(md.Name())].req); err != nil {
			t.Errorf("gRPC %s as suspended B: %v, want OK (a suspended member reads)", name, err)
		}
	}
	after := f.adminView(t)
	for i := range before {
		if !proto.Equal(before[i], after[i]) {
			t.Errorf("a suspended member changed:\nbefore %v\nafter  %v", before[i], after[i])
		}
	}
}

// logLine returns the first log line of proc that holds every one of parts.
func (s *suite) logLine(proc string, parts ...string) string {
	// A process logs a call after it has answered it, and its output
	// reaches s.logs through a pipe: the line can come a moment after the
	// answer, so it is waited for (up to 10 s) rather than looked for once.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if l := s.findLogLine(proc, parts); l != "" || time.Now().After(deadline) {
			return l
		}
	}
}

func (s *suite) findLogLine(proc string, parts []string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range s.logs {
		if !strings.HasPrefix(l, proc+" | ") {
			continue
		}
		found := true
		for _, p := range parts {
			found = found && strings.Contains(l, p)
		}
		if found {
			return l
		}
	}
	return ""
}

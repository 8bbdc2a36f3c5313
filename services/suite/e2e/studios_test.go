package e2e

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
)

// TestAStudioWithSessionsStays runs the real processes: member-registry
// asks session-scheduling before a base removes a studio, and refuses the
// removal while the studio has a SCHEDULED or LIVE session, or while
// session-scheduling does not answer.
func TestAStudioWithSessionsStays(t *testing.T) {
	s := startSuite(t)
	u, admin := s.gatewayURL(), s.admin()
	post := func(path, body string) httpReply {
		t.Helper()
		return send(t, "POST", u+path, body, map[string]string{"Authorization": admin["Authorization"], "Content-Type": "application/json"})
	}
	patchStudios := func(studios ...string) httpReply {
		t.Helper()
		var list []string
		for _, id := range studios {
			list = append(list, `{"studioId":"`+id+`","displayName":"厅 `+id+`"}`)
		}
		return send(t, "PATCH", u+"/v1/members/rm-base?updateMask=studios", `{"studios":[`+strings.Join(list, ",")+`]}`,
			map[string]string{"Authorization": admin["Authorization"], "Content-Type": "application/json"})
	}
	for _, m := range []string{
		`/v1/members?memberId=rm-base {"kind":"MEMBER_KIND_BASE","displayName":"拆厅基地","district":"dazu","studios":[{"studioId":"s1","displayName":"厅 s1"},{"studioId":"s2","displayName":"厅 s2"},{"studioId":"s3","displayName":"厅 s3"}]}`,
		`/v1/members?memberId=rm-host {"kind":"MEMBER_KIND_HOST","displayName":"拆厅主播","district":"dazu"}`,
	} {
		path, body, _ := strings.Cut(m, " ")
		if r := post(path, body); r.code != 200 {
			t.Fatalf("POST %s: %d %s", path, r.code, r.raw)
		}
	}
	ts := func(d time.Duration) string { return time.Now().UTC().Add(d).Format(time.RFC3339) }
	book := func(id, studio string, from, to time.Duration) {
		t.Helper()
		r := post("/v1/sessions?sessionId="+id, `{"title":"拆厅测试","host":"members/rm-host","studio":"members/rm-base/studios/`+studio+`","platform":"PLATFORM_DOUYIN","startTime":"`+ts(from)+`","endTime":"`+ts(to)+`"}`)
		if r.code != 200 {
			t.Fatalf("book %s: %d %s", id, r.code, r.raw)
		}
	}
	book("rm-scheduled", "s1", 5*time.Hour, 6*time.Hour)
	book("rm-live", "s2", 10*time.Minute, 70*time.Minute)
	if r := post("/v1/sessions/rm-live:start", `{}`); r.code != 200 {
		t.Fatalf("start: %d %s", r.code, r.raw)
	}

	for studio, session := range map[string]string{"s1": "sessions/rm-scheduled", "s2": "sessions/rm-live"} {
		var keep []string
		for _, id := range []string{"s1", "s2", "s3"} {
			if id != studio {
				keep = append(keep, id)
			}
		}
		r := patchStudios(keep...)
		md := errorInfoMetadata(r)
		if r.code != 400 || reason(r.result()) != "STUDIO_HAS_SESSIONS" || md["session"] != session || md["studio"] != "members/rm-base/studios/"+studio {
			t.Errorf("removing %s with %s in it: %d %s", studio, session, r.code, r.raw)
		}
	}
	if r := patchStudios("s1", "s2"); r.code != 200 {
		t.Fatalf("removing s3, which has no session: %d %s", r.code, r.raw)
	}
	if r := post("/v1/sessions/rm-scheduled:cancel", `{"reason":"厅要拆了"}`); r.code != 200 {
		t.Fatalf("cancel: %d %s", r.code, r.raw)
	}
	if r := patchStudios("s2"); r.code != 200 {
		t.Fatalf("removing s1 once its session is cancelled: %d %s", r.code, r.raw)
	}

	// With session-scheduling down, a removal is UNAVAILABLE naming it, and
	// changes nothing; an update that removes no studio goes through.
	before := send(t, "GET", u+"/v1/members/rm-base", "", admin)
	if !s.procs["session-scheduling"].Stop(10 * time.Second) {
		t.Fatal("session-scheduling did not stop gracefully")
	}
	r := patchStudios()
	if r.code != 503 || reason(r.result()) != "DEPENDENCY_UNAVAILABLE" || !strings.Contains(r.raw, "session-scheduling") ||
		strings.Contains(r.raw, "127.0.0.1") || strings.Contains(r.raw, "dial") {
		t.Errorf("removing s2 with session-scheduling down: %d %s", r.code, r.raw)
	}
	if after := send(t, "GET", u+"/v1/members/rm-base", "", admin); after.raw != before.raw {
		t.Errorf("the refused removal changed the base:\n%s\n%s", before.raw, after.raw)
	}
	if r := patchStudios("s2", "s4"); r.code != 200 {
		t.Errorf("adding a studio with session-scheduling down: %d %s", r.code, r.raw)
	}
	// The same over gRPC.
	g := s.grpcurlDoor("").call(t, "alliance.member.v1.MemberRegistry/UpdateMember",
		`{"member":{"name":"members/rm-base","studios":[{"studioId":"s4","displayName":"厅 s4"}]},"updateMask":{"paths":["studios"]}}`, route{})
	if g.code != codes.Unavailable || reason(g) != "DEPENDENCY_UNAVAILABLE" {
		t.Errorf("gRPC removal with session-scheduling down: %v %s", g.code, g.raw)
	}
}

// errorInfoMetadata is the metadata of a Status body's ErrorInfo.
func errorInfoMetadata(r httpReply) map[string]string {
	out := map[string]string{}
	ds, _ := r.body["details"].([]any)
	for _, d := range ds {
		if strings.HasSuffix(str(d, "@type"), "google.rpc.ErrorInfo") {
			m, _ := d.(map[string]any)["metadata"].(map[string]any)
			for k, v := range m {
				out[k], _ = v.(string)
			}
		}
	}
	return out
}

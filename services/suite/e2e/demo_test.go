package e2e

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestDemoLoadsAndReruns runs `make demo`'s loader twice against a fresh
// suite: the first run fills three weeks and today, the second changes
// nothing, and the overview the README shows has meaningful numbers.
func TestDemoLoadsAndReruns(t *testing.T) {
	s := startSuite(t)
	demo := func() string {
		out, err := exec.Command(filepath.Join(binDir, "alliance-demo"),
			"-member-registry-addr", s.addrs.MemberRegistry,
			"-session-scheduling-addr", s.addrs.SessionScheduling,
			"-sales-reporting-addr", s.addrs.SalesReporting, "-admin-key-file", s.adminKeyFile).CombinedOutput()
		if err != nil {
			t.Fatalf("alliance-demo: %v\n%s", err, out)
		}
		return string(out)
	}
	now := time.Now().In(shanghai)
	overview := "http://" + s.addrs.Gateway + "/v1/reports:overview?startDate=" +
		now.AddDate(0, 0, -21).Format(time.DateOnly) + "&endDate=" + now.AddDate(0, 0, 1).Format(time.DateOnly)

	first := demo()
	for _, want := range []string{"0 rejected", "accepted", "loaded   sessions/demo-", "scheduled sessions/demo-", "cancelled sessions/demo-",
		// the base that runs by booking rules
		"OUTSIDE_OPENING_HOURS", "STUDIO_BLACKED_OUT", "SESSION_STATE_PENDING_APPROVAL", "SESSION_STATE_DECLINED",
		"series   sessionSeries/yubei-evening", "SESSION_STATE_NO_SHOW", "walk-in"} {
		if !strings.Contains(first, want) {
			t.Errorf("first run: no %q in:\n%s", want, first)
		}
	}
	before := send(t, "GET", overview, "", s.admin())
	if before.code != 200 {
		t.Fatalf("overview: %d %s", before.code, before.raw)
	}
	held := str(before.body, "sessionsHeld")
	if len(held) < 3 || str(before.body, "topDistricts", 0, "key") == "" || strings.HasPrefix(str(before.body, "net", "minorUnits"), "-") {
		t.Errorf("overview after the demo is thin: %s", before.raw)
	}

	for _, re := range []string{`decided +sessions/demo-\d{8}-request-1 +SESSION_STATE_SCHEDULED`, `sessionSeries/yubei-evening +6 sessions`} {
		if !regexp.MustCompile(re).MatchString(first) {
			t.Errorf("first run: nothing matches %s in:\n%s", re, first)
		}
	}
	noShow := send(t, "GET", "http://"+s.addrs.Gateway+"/v1/sessions?studio=members/yubei-base/studios/studio-2&state=SESSION_STATE_NO_SHOW", "", s.admin())
	if ss, _ := noShow.body["sessions"].([]any); len(ss) != 1 {
		t.Errorf("the demo's no-shows, as ListSessions has them: %s", noShow.raw)
	}

	second := demo()
	if strings.Contains(second, "created") || strings.Contains(second, "loaded ") || !strings.Contains(second, " 0 accepted") {
		t.Errorf("second run changed something:\n%s", second)
	}
	after := send(t, "GET", overview, "", s.admin())
	for _, f := range []string{"sessionsHeld", "orders"} {
		if str(after.body, f) != str(before.body, f) {
			t.Errorf("%s: %s after the rerun, %s before", f, str(after.body, f), str(before.body, f))
		}
	}
	if str(after.body, "net", "minorUnits") != str(before.body, "net", "minorUnits") {
		t.Errorf("net changed on rerun: %s -> %s", str(before.body, "net", "minorUnits"), str(after.body, "net", "minorUnits"))
	}
}

func TestDemoWithoutTheAdminKeySaysWhereItLooked(t *testing.T) {
	out, err := exec.Command(filepath.Join(binDir, "alliance-demo"), "-admin-key-file", filepath.Join(t.TempDir(), "admin.key"),
		"-member-registry-addr", "127.0.0.1:1").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "admin.key") || !strings.Contains(string(out), "make run") {
		t.Errorf("got %v:\n%s", err, out)
	}
}

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	sessionv1 "github.com/cqlive/alliance/gen/pb/alliance/session/v1"
	"github.com/cqlive/alliance/services/suite/internal/layout"
	"github.com/cqlive/alliance/services/suite/internal/proc"
	"google.golang.org/protobuf/types/known/durationpb"
)

// sweepLog is a line of session-scheduling's log about a sweep step.
type sweepLog struct {
	Msg    string `json:"msg"`
	Lapsed int    `json:"lapsed"`
	More   bool   `json:"more"`
}

func sweeps(lines []string) []sweepLog {
	var out []sweepLog
	for _, l := range lines {
		var s sweepLog
		if json.Unmarshal([]byte(l), &s) == nil && s.Msg == "no-show sweep" {
			out = append(out, s)
		}
	}
	return out
}

// TestNoShowsSurviveARestartInTheMiddleOfASweep books 2,400 sessions that
// have started (the scheduler runs with -start-leeway 12h) under a grace
// of 12 hours and no timer sweep to speak of (-sweep-interval 1h), and
// shortens the grace to a minute, so that all of them are missed at once.
// Then it restarts session-scheduling, whose start-up sweep stores them
// step by step, and kills it with SIGKILL the moment it logs its first
// step. The scheduler started again sweeps the rest: each missed session
// is NO_SHOW exactly once (one more revision: etag r2), the counts agree,
// and its slot can be booked again.
func TestNoShowsSurviveARestartInTheMiddleOfASweep(t *testing.T) {
	s := start(t, options{schedulerFlags: []string{"-start-leeway", "12h", "-sweep-interval", "1h"}})
	const studios, each = 60, 40
	r := newRig(t, s, "noshow-base", studios)
	hosts := r.hosts("noshow-h", studios, "")
	grace := func(d time.Duration) {
		t.Helper()
		for i := range studios {
			if _, err := r.policy(r.studio(i+1), &sessionv1.StudioPolicy{ChangeoverBuffer: durationpb.New(0), NoShowGrace: durationpb.New(d)}, false); err != nil {
				t.Fatal(err)
			}
		}
	}
	grace(12 * time.Hour)
	first := time.Now().Add(-11 * time.Hour).Truncate(time.Minute)
	errs := r.race(studios, func(int) string { return s.adminKey }, func(i int, api sessionv1.SessionSchedulerClient) error {
		for j := range each {
			_, err := api.CreateSession(context.Background(), &sessionv1.CreateSessionRequest{
				SessionId: fmt.Sprintf("missed-%02d-%02d", i, j),
				Session:   session(hosts[i], r.studio(i+1), first.Add(time.Duration(j)*15*time.Minute), 15*time.Minute)})
			if err != nil {
				return err
			}
		}
		return nil
	})
	for i, err := range errs {
		if err != nil {
			t.Fatalf("studio %d: %v", i+1, err)
		}
	}
	grace(time.Minute)

	// Restart; kill the new process at its first sweep step.
	if !s.procs["session-scheduling"].Stop(10 * time.Second) {
		t.Fatal("session-scheduling did not stop gracefully")
	}
	mark := len(s.logLines("session-scheduling"))
	killed, started := make(chan struct{}), make(chan *proc.Proc, 1)
	var once sync.Once
	s.setWatch(func(l proc.Line) {
		if l.Proc == "session-scheduling" && len(sweeps([]string{l.Text})) == 1 {
			once.Do(func() {
				p := <-started // known within moments of its start
				p.Signal(syscall.SIGKILL)
				close(killed)
			})
		}
	})
	p, err := proc.Start("session-scheduling", filepath.Join(binDir, "session-scheduling"), specOf(s, "session-scheduling").Args, nil, s.sink)
	if err != nil {
		t.Fatal(err)
	}
	started <- p
	s.procs["session-scheduling"] = p
	select {
	case <-killed:
	case <-time.After(30 * time.Second):
		t.Fatal("the restarted scheduler logged no sweep step")
	}
	<-p.Done()
	s.setWatch(nil)
	before := sweeps(s.logLines("session-scheduling")[mark:])
	lapsedBefore := 0
	for _, l := range before {
		lapsedBefore += l.Lapsed
	}
	if !before[len(before)-1].More {
		t.Fatalf("the sweep was over before the kill (%d lapsed): not in the middle of one", lapsedBefore)
	}

	mark = len(s.logLines("session-scheduling"))
	s.restart("session-scheduling")
	r.admin = sessionv1.NewSessionSchedulerClient(s.dialAs(t, s.addrs.SessionScheduling, s.adminKey))
	var after []sweepLog
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		after = sweeps(s.logLines("session-scheduling")[mark:])
		if n := len(after); n > 0 && !after[n-1].More {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the scheduler started again did not finish its sweep: %v", after)
		}
	}
	lapsedAfter := 0
	for _, l := range after {
		lapsedAfter += l.Lapsed
	}
	all := r.all()
	if len(all) != studios*each {
		t.Fatalf("%d sessions, want %d", len(all), studios*each)
	}
	for _, x := range all {
		if x.GetState() != sessionv1.SessionState_SESSION_STATE_NO_SHOW || x.GetEtag() != "r2" {
			t.Fatalf("%s: %s, etag %s; want NO_SHOW once (r2)", x.GetName(), x.GetState(), x.GetEtag())
		}
	}
	// What the killed process logged it had stored; it may have stored one
	// step more than it logged. The rest was stored after the restart.
	if lapsedAfter == 0 || lapsedBefore+lapsedAfter > studios*each || lapsedBefore+lapsedAfter < studios*each-256 {
		t.Fatalf("lapsed %d before the kill and %d after, of %d", lapsedBefore, lapsedAfter, studios*each)
	}
	count, err := r.admin.CountSessions(context.Background(), &sessionv1.CountSessionsRequest{State: sessionv1.SessionState_SESSION_STATE_NO_SHOW})
	if err != nil || count.GetCount() != studios*each {
		t.Fatalf("%v, %v; want %d no-shows", count, err, studios*each)
	}
	// The slots are free: another host takes the last slot of each studio.
	last := first.Add(time.Duration(each-1) * 15 * time.Minute)
	for i := range studios {
		if _, err := r.admin.CreateSession(context.Background(), &sessionv1.CreateSessionRequest{
			Session: session(hosts[(i+1)%studios], r.studio(i+1), last, 15*time.Minute)}); err != nil {
			t.Fatalf("the slot of a no-show in studio %d: %v", i+1, err)
		}
	}
	t.Logf("lapsed %d before the kill, %d after the restart", lapsedBefore, lapsedAfter)
}

func specOf(s *suite, name string) layout.Proc {
	for _, spec := range s.specs {
		if spec.Name == name {
			return spec
		}
	}
	panic("no process " + name)
}

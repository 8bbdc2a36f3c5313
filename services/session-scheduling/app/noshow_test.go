package app_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	sessionv1 "github.com/cqlive/alliance/gen/pb/alliance/session/v1"
	"github.com/cqlive/alliance/services/kit/testkit"
	"github.com/cqlive/alliance/services/session-scheduling/app"
)

// lines is a log the test reads while the scheduler writes it.
type lines struct{ testkit.LogBuffer }

// waitFor waits until the log holds n lines with s.
func (l *lines) waitFor(t *testing.T, s string, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); strings.Count(l.String(), s) < n; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the log never had %d lines of %q:\n%s", n, s, l.String())
		}
	}
}

// TestTheSweepRunsOnATimerAndAtStartUp: nobody reads, and the service
// turns a missed session NO_SHOW by itself: on its timer, and when it
// starts again after being down while a session was missed.
func TestTheSweepRunsOnATimerAndAtStartUp(t *testing.T) {
	w := newWorld(t)
	log := &lines{}
	w.log = slog.New(slog.NewTextHandler(log, nil))
	w.stop()
	w.startScheduler(app.Config{SweepInterval: 10 * time.Millisecond})
	a := w.mustCreate(draft("host-a", x1, 60, 120))
	b := w.mustCreate(draft("host-b", x2, 300, 360))
	w.clock.Set(at(60 + 15))
	log.waitFor(t, "lapsed=1", 1)

	w.stop()
	w.clock.Set(at(300 + 15))
	w.startScheduler(app.Config{SweepInterval: time.Hour}) // only the start-up sweep
	log.waitFor(t, "lapsed=1", 2)
	for _, s := range []*sessionv1.Session{a, b} {
		got, err := w.api.GetSession(context.Background(), &sessionv1.GetSessionRequest{Name: s.GetName()})
		if err != nil || got.GetState() != sessionv1.SessionState_SESSION_STATE_NO_SHOW || got.GetEtag() != "r2" {
			t.Fatalf("%v, %v; want NO_SHOW, once (r2)", got, err)
		}
	}
}

package soak

import (
	"testing"

	sessionv1 "github.com/cqlive/alliance/gen/pb/alliance/session/v1"
)

// TestAStateMovesOnNeverBack: a session acknowledged in one state before
// the backup may be found in that state or a later one after a restore.
func TestAStateMovesOnNeverBack(t *testing.T) {
	cancelled := sessionv1.SessionState_SESSION_STATE_CANCELLED
	for _, c := range []struct {
		name     string
		was, now sessionv1.SessionState
		ok       bool
	}{
		{"scheduled, then started after the backup", scheduled, live, true},
		{"scheduled, then ended", scheduled, ended, true},
		{"scheduled, then cancelled", scheduled, cancelled, true},
		{"live stays live", live, live, true},
		{"live, then ended", live, ended, true},
		{"live is never scheduled again", live, scheduled, false},
		{"live is never cancelled", live, cancelled, false},
		{"ended is final", ended, live, false},
		{"cancelled is final", cancelled, scheduled, false},
	} {
		if got := after(c.was, c.now); got != c.ok {
			t.Errorf("%s: after(%s, %s) = %v", c.name, c.was, c.now, got)
		}
	}
}

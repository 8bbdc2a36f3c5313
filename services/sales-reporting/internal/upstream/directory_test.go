package upstream

import (
	"testing"

	sessionv1 "github.com/cqlive/alliance/gen/pb/alliance/session/v1"
	"github.com/cqlive/alliance/services/sales-reporting/internal/ingest"
)

// TestSessionStatesConvertByNumber: session-scheduling's states convert by
// number, so each of ingest.SessionState must be the state of that number.
func TestSessionStatesConvertByNumber(t *testing.T) {
	for s, want := range map[sessionv1.SessionState]ingest.SessionState{
		sessionv1.SessionState_SESSION_STATE_SCHEDULED: ingest.Scheduled,
		sessionv1.SessionState_SESSION_STATE_LIVE:      ingest.Live,
		sessionv1.SessionState_SESSION_STATE_ENDED:     ingest.Ended,
		sessionv1.SessionState_SESSION_STATE_CANCELLED: ingest.Cancelled,
	} {
		if got := sessionState(s); got != want || got.String() != want.String() {
			t.Errorf("%v is %v, want %v", s, got, want)
		}
	}
	if sessionState(99).String() != "UNKNOWN" {
		t.Fatal("a state ingestion does not know must read as UNKNOWN")
	}
}

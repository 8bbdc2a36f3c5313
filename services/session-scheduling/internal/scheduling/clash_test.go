package scheduling

import (
	"testing"
	"time"
)

func TestClash(t *testing.T) {
	const buffer = 15 * time.Minute
	t0 := time.Date(2030, 1, 7, 10, 0, 0, 0, time.UTC)
	at := func(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }
	// existing: host-a in studio s1 of base-x, 10:00-11:00.
	existing := func(state State) *Session {
		return &Session{ID: "old", Host: "members/host-a", Studio: "members/base-x/studios/s1", Start: at(0), End: at(60), State: state}
	}
	cases := []struct {
		name     string
		state    State // of the existing session
		host     string
		studio   string
		from, to int // minutes after 10:00
		want     Conflict
	}{
		{"studio buffer: next session starts exactly 15 min after previous ends", StateScheduled, "members/host-b", "members/base-x/studios/s1", 75, 135, NoConflict},
		{"studio buffer: next session starts 10 min after previous ends", StateScheduled, "members/host-b", "members/base-x/studios/s1", 70, 130, StudioConflict},
		{"studio buffer: next session starts 1 min inside the buffer", StateScheduled, "members/host-b", "members/base-x/studios/s1", 74, 134, StudioConflict},
		{"studio buffer: previous session ends exactly 15 min before", StateScheduled, "members/host-b", "members/base-x/studios/s1", -75, -15, NoConflict},
		{"studio buffer: previous session ends 5 min before", StateScheduled, "members/host-b", "members/base-x/studios/s1", -65, -5, StudioConflict},
		{"studio: sessions that touch without a buffer collide", StateScheduled, "members/host-b", "members/base-x/studios/s1", 60, 120, StudioConflict},
		{"studio: session contained inside another", StateScheduled, "members/host-b", "members/base-x/studios/s1", 20, 40, StudioConflict},
		{"studio: session containing another", StateScheduled, "members/host-b", "members/base-x/studios/s1", -30, 90, StudioConflict},
		{"studio: same interval", StateLive, "members/host-b", "members/base-x/studios/s1", 0, 60, StudioConflict},
		{"studio: different studios of the same base do not collide", StateScheduled, "members/host-b", "members/base-x/studios/s2", 0, 60, NoConflict},
		{"studio: same studio id in another base does not collide", StateScheduled, "members/host-b", "members/base-y/studios/s1", 0, 60, NoConflict},
		{"host: same host in two studios at overlapping times", StateScheduled, "members/host-a", "members/base-x/studios/s2", 30, 90, HostConflict},
		{"host: same host in another base, contained", StateScheduled, "members/host-a", "members/base-y/studios/s1", 10, 50, HostConflict},
		{"host: sessions that touch do not collide (no host buffer)", StateScheduled, "members/host-a", "members/base-x/studios/s2", 60, 120, NoConflict},
		{"host: session that ends as the other starts", StateScheduled, "members/host-a", "members/base-y/studios/s1", -60, 0, NoConflict},
		{"host: same host and same studio names the studio", StateScheduled, "members/host-a", "members/base-x/studios/s1", 30, 90, StudioConflict},
		{"host: LIVE session blocks", StateLive, "members/host-a", "members/base-y/studios/s1", 30, 90, HostConflict},
		{"cancelled session frees its slot in the studio", StateCancelled, "members/host-b", "members/base-x/studios/s1", 0, 60, NoConflict},
		{"cancelled session frees its host", StateCancelled, "members/host-a", "members/base-y/studios/s1", 0, 60, NoConflict},
		{"ended session does not block", StateEnded, "members/host-a", "members/base-x/studios/s1", 0, 60, NoConflict},
		{"pending approval: a request holds its studio while it waits", StatePendingApproval, "members/host-b", "members/base-x/studios/s1", 70, 130, StudioConflict},
		{"pending approval: and its host", StatePendingApproval, "members/host-a", "members/base-y/studios/s1", 30, 90, HostConflict},
		{"declined request frees its slot", StateDeclined, "members/host-a", "members/base-x/studios/s1", 0, 60, NoConflict},
		{"no-show frees its studio for the rest of its interval", StateNoShow, "members/host-b", "members/base-x/studios/s1", 20, 60, NoConflict},
		{"no-show frees its host", StateNoShow, "members/host-a", "members/base-y/studios/s1", 20, 60, NoConflict},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := &Session{ID: "new", Host: c.host, Studio: c.studio, Start: at(c.from), End: at(c.to)}
			if got := Clash(s, existing(c.state), buffer); got != c.want {
				t.Fatalf("Clash = %v, want %v", got, c.want)
			}
		})
	}
	t.Run("a session never clashes with itself (update)", func(t *testing.T) {
		s := existing(StateScheduled)
		moved := *s
		moved.Start, moved.End = at(10), at(70)
		if got := Clash(&moved, s, buffer); got != NoConflict {
			t.Fatalf("Clash = %v, want none", got)
		}
	})
}

// TestClashOfHistory: an imported record (ENDED or CANCELLED) meets every
// session that held its slot, ENDED ones included, and a CANCELLED record
// meets nothing.
func TestClashOfHistory(t *testing.T) {
	const buffer = 15 * time.Minute
	t0 := time.Date(2020, 11, 11, 20, 0, 0, 0, time.UTC)
	at := func(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }
	const studio, host = "members/base-x/studios/s1", "members/host-a"
	cases := []struct {
		name          string
		record, other State
		host, studio  string
		from, to      int
		want          Conflict
	}{
		{"history: an ENDED record meets an ENDED session in its studio", StateEnded, StateEnded, "members/host-b", studio, 30, 90, StudioConflict},
		{"history: an ENDED record meets an ENDED session of its host", StateEnded, StateEnded, host, "members/base-y/studios/s1", 30, 90, HostConflict},
		{"history: the studio buffer holds between ENDED sessions", StateEnded, StateEnded, "members/host-b", studio, 70, 130, StudioConflict},
		{"history: ENDED sessions 15 min apart do not collide", StateEnded, StateEnded, "members/host-b", studio, 75, 135, NoConflict},
		{"history: an ENDED record meets a SCHEDULED session", StateEnded, StateScheduled, "members/host-b", studio, 30, 90, StudioConflict},
		{"history: an ENDED record meets a LIVE session", StateEnded, StateLive, host, "members/base-y/studios/s1", 30, 90, HostConflict},
		{"history: an ENDED record ignores a CANCELLED session", StateEnded, StateCancelled, host, studio, 0, 60, NoConflict},
		{"history: a CANCELLED record meets nothing", StateCancelled, StateEnded, host, studio, 0, 60, NoConflict},
		{"booking: a new booking ignores ENDED sessions", StateScheduled, StateEnded, host, studio, 0, 60, NoConflict},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			other := &Session{ID: "old", Host: host, Studio: studio, Start: at(0), End: at(60), State: c.other}
			s := &Session{ID: "new", Host: c.host, Studio: c.studio, Start: at(c.from), End: at(c.to), State: c.record}
			if got := Clash(s, other, buffer); got != c.want {
				t.Fatalf("Clash = %v, want %v", got, c.want)
			}
		})
	}
}

// TestClashOfAnApproval: an approval meets only confirmed sessions
// (SCHEDULED, LIVE); the other requests still waiting do not stand in its
// way, so that of two requests that meet under today's rules one can be
// approved, and then it blocks the other.
func TestClashOfAnApproval(t *testing.T) {
	const buffer = 30 * time.Minute
	t0 := time.Date(2030, 1, 7, 10, 0, 0, 0, time.UTC)
	at := func(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }
	for _, c := range []struct {
		name  string
		other State
		want  Conflict
	}{
		{"approval: a SCHEDULED session within the buffer stands in the way", StateScheduled, StudioConflict},
		{"approval: a LIVE one too", StateLive, StudioConflict},
		{"approval: another request waiting does not", StatePendingApproval, NoConflict},
		{"approval: a no-show does not", StateNoShow, NoConflict},
	} {
		t.Run(c.name, func(t *testing.T) {
			other := &Session{ID: "other", Host: "members/host-b", Studio: "members/base-x/studios/s1", Start: at(0), End: at(60), State: c.other}
			s := &Session{ID: "request", Host: "members/host-a", Studio: "members/base-x/studios/s1", Start: at(70), End: at(130), State: StateScheduled}
			if got := clash(s, other, buffer, true); got != c.want {
				t.Fatalf("clash = %v, want %v", got, c.want)
			}
		})
	}
}

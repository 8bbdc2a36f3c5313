package app_test

import (
	"context"
	"testing"

	sessionv1 "github.com/cqlive/alliance/gen/pb/alliance/session/v1"

	"github.com/cqlive/alliance/services/kit/service"
	"github.com/cqlive/alliance/services/kit/testkit"
	"github.com/cqlive/alliance/services/session-scheduling/app"
)

// TestEveryBookingIsCountedByItsOutcome: each CreateSession, each
// ImportSessions line and each occurrence of a series counts once on the
// admin port, booked by source or refused by the reason its caller reads;
// a repeated import line is neither; and the commits of the store are
// counted too.
func TestEveryBookingIsCountedByItsOutcome(t *testing.T) {
	w := newWorld(t)
	w.stop()
	admin := testkit.FreeAddr(t)
	w.startScheduler(app.Config{Config: service.Config{Telemetry: service.Telemetry{AdminAddr: admin}}})
	const s1 = "members/base-x/studios/s1"
	w.mustCreate(draft("host-a", s1, 60, 120))
	_, err := w.create(draft("host-b", s1, 90, 150)) // the studio is taken
	wantErr(t, err, 9, "STUDIO_DOUBLE_BOOKED")
	_, err = w.create(draft("nobody", s1, 300, 360))
	if err == nil {
		t.Fatal("a booking of an unknown host was accepted")
	}
	// A daily series of three whose first day meets host-a's session.
	tmpl := draft("host-b", s1, 90, 150)
	series, err := w.api.CreateSessionSeries(context.Background(), &sessionv1.CreateSessionSeriesRequest{AllowPartial: true,
		Series: &sessionv1.SessionSeries{Template: tmpl, Recurrence: &sessionv1.Recurrence{Frequency: sessionv1.Frequency_FREQUENCY_DAILY, Count: 3}}})
	if err != nil || len(series.GetSessions()) != 2 || len(series.GetSkipped()) != 1 {
		t.Fatalf("series: %v, %v; want 2 booked and 1 skipped", series, err)
	}
	first := ended("past-1", "host-a", s1, -600, -540)
	w.mustImport(first, ended("past-2", "host-a", s1, -500, -440))
	resp := w.mustImport(first, ended("past-3", "host-b", s1, -590, -560)) // a repeat, and a clash with past-1
	if resp.GetDuplicates() != 1 || resp.GetRejected() != 1 {
		t.Fatalf("second import: %v", resp)
	}
	m := testkit.Scrape(t, "http://"+admin+"/metrics")
	type l = map[string]string
	for _, c := range []struct {
		name   string
		labels l
		n      float64
	}{
		{"alliance_bookings_total", l{"source": "create"}, 1},
		{"alliance_bookings_total", l{"source": "import"}, 2},
		{"alliance_booking_refusals_total", l{"source": "create", "reason": "STUDIO_DOUBLE_BOOKED"}, 1},
		{"alliance_booking_refusals_total", l{"source": "create"}, 2},
		{"alliance_booking_refusals_total", l{"source": "import", "reason": "STUDIO_DOUBLE_BOOKED"}, 1},
		{"alliance_bookings_total", l{"source": "series"}, 2},
		{"alliance_booking_refusals_total", l{"source": "series", "reason": "STUDIO_DOUBLE_BOOKED"}, 1},
		{"alliance_boltdb_commit_writes", nil, 4}, // one booking, one series, two import batches
	} {
		if got := m.Value(c.name, c.labels); got != c.n {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.n)
		}
	}
}

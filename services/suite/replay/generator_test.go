package replay

import (
	"slices"
	"testing"
	"time"
)

func small() Config {
	c := Default()
	c.Scale = 0.01
	return c
}

// TestScheduleHasNoDoubleBooking checks what session-scheduling will check:
// no host in two overlapping sessions, no studio in two sessions closer
// than the 15-minute changeover buffer.
func TestScheduleHasNoDoubleBooking(t *testing.T) {
	g := New(Default())
	const buffer = 15 * time.Minute
	byStudio := map[string][]iv{}
	byHost := map[string][]iv{}
	ended := 0
	err := g.Sessions(func(s *Session) error {
		if s.Cancelled {
			return nil
		}
		ended++
		for _, o := range byStudio[s.Studio] {
			if s.Start.Before(o.end.Add(buffer)) && o.start.Before(s.End.Add(buffer)) {
				t.Fatalf("studio %s double-booked at %s", s.Studio, s.Start)
			}
		}
		for _, o := range byHost[s.Host] {
			if s.Start.Before(o.end) && o.start.Before(s.End) {
				t.Fatalf("host %s double-booked at %s", s.Host, s.Start)
			}
		}
		// Only the same day can collide: keep the lists short.
		byStudio[s.Studio] = append(trim(byStudio[s.Studio], s.Start), iv{s.Start, s.End})
		byHost[s.Host] = append(trim(byHost[s.Host], s.Start), iv{s.Start, s.End})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if ended != 184_000 {
		t.Fatalf("%d ENDED sessions, want 184,000", ended)
	}
}

type iv struct{ start, end time.Time }

func trim(ivs []iv, now time.Time) []iv {
	out := ivs[:0]
	for _, v := range ivs {
		if v.end.Add(time.Hour).After(now) {
			out = append(out, v)
		}
	}
	return out
}

func TestDeterministicAndNearTheHeadline(t *testing.T) {
	run := func() Totals {
		g := New(small())
		var tot Totals
		_ = g.Sessions(func(s *Session) error {
			var lines []*Sale
			_ = g.Sales(s, func(l *Sale) error { lines = append(lines, l); return nil })
			tot.Add(g, s, lines)
			return nil
		})
		return tot
	}
	a, b := run(), run()
	if a != b {
		t.Fatalf("two runs differ: %+v vs %+v", a, b)
	}
	if a.SessionsHeld < 1830 || a.SessionsHeld > 1840 {
		t.Fatalf("sessions held %d, want about 1,840 (1/100 of 184,000)", a.SessionsHeld)
	}
	// 1/100 of 10 billion yuan is 100 million yuan = 1e10 fen; allow 10%.
	if a.GrossFen < 9e9 || a.GrossFen > 11e9 {
		t.Fatalf("gross %d fen, want about 1e10", a.GrossFen)
	}
	if avg := a.GrossFen / a.Orders; avg < 36_000 || avg > 44_000 {
		t.Fatalf("average order %d fen, want about 40,000", avg)
	}
	if a.Refunds == 0 || a.RefundsFen >= a.GrossFen/10 {
		t.Fatalf("refunds %d lines, %d fen", a.Refunds, a.RefundsFen)
	}
}

func TestRefundsNeverExceedTheirOrder(t *testing.T) {
	g := New(small())
	orders := map[string]*Sale{}
	n := 0
	_ = g.Sessions(func(s *Session) error {
		if n > 300 {
			return nil
		}
		n++
		return g.Sales(s, func(l *Sale) error {
			if !l.Refund {
				orders[l.ExternalID] = l
				if l.EventTime.Before(s.Start) || l.EventTime.After(s.End.Add(24*time.Hour)) {
					t.Fatalf("order %s at %s outside its session's window", l.ExternalID, l.EventTime)
				}
				return nil
			}
			o := orders[l.RefundOf]
			if o == nil || l.AmountFen > o.AmountFen || l.Quantity > o.Quantity || !l.EventTime.After(o.EventTime) {
				t.Fatalf("refund %+v of order %+v", l, o)
			}
			return nil
		})
	})
}

// The traffic is what RecordSessionMetrics takes: viewers within views,
// the peak within the viewers, clicks within impressions, the halfway
// snapshot below the final one; 20 to 100 views per order.
func TestTrafficIsConsistentAndProportionalToOrders(t *testing.T) {
	g := New(small())
	n := 0
	_ = g.Sessions(func(s *Session) error {
		if n > 500 || s.Cancelled {
			return nil
		}
		n++
		orders := int64(0)
		_ = g.Sales(s, func(l *Sale) error {
			if !l.Refund {
				orders++
			}
			return nil
		})
		var snaps []*Traffic
		if err := g.Traffic(s, func(tr *Traffic) error { snaps = append(snaps, tr); return nil }); err != nil {
			t.Fatal(err)
		}
		if len(snaps) != 2 || !snaps[0].AsOf.Before(snaps[1].AsOf) {
			t.Fatalf("%s: %d snapshots", s.ID, len(snaps))
		}
		for _, tr := range snaps {
			if tr.Viewers > tr.Views || tr.PeakConcurrentViewers > tr.Viewers || tr.ProductClicks > tr.ProductImpressions {
				t.Fatalf("%s: %+v", s.ID, tr)
			}
		}
		a, b := snaps[0], snaps[1]
		if a.Views > b.Views || a.Viewers > b.Viewers || a.PeakConcurrentViewers > b.PeakConcurrentViewers || a.Likes > b.Likes ||
			a.ProductImpressions > b.ProductImpressions || a.ProductClicks > b.ProductClicks {
			t.Fatalf("%s: the halfway snapshot is above the final one: %+v %+v", s.ID, a, b)
		}
		if orders > 0 && (b.Views < 20*orders || b.Views > 100*orders) {
			t.Fatalf("%s: %d views for %d orders", s.ID, b.Views, orders)
		}
		return nil
	})
}

// The year concentrates in the main city: the top district sells a
// quarter more than the fifth at least (not within 1%), and a county base
// far less than Jiulongpo.
func TestDistrictsConcentrate(t *testing.T) {
	g := New(small())
	byDistrict := map[string]int64{}
	district := map[string]string{}
	for _, m := range g.Members {
		if m.Kind == "BASE" {
			district["members/"+m.ID] = m.District
		}
	}
	_ = g.Sessions(func(s *Session) error {
		base := s.Studio[:len(s.Studio)-len("/studios/studio-00")]
		return g.Sales(s, func(l *Sale) error {
			if !l.Refund {
				byDistrict[district[base]] += l.AmountFen
			}
			return nil
		})
	})
	var sums []int64
	for _, v := range byDistrict {
		sums = append(sums, v)
	}
	slices.Sort(sums)
	slices.Reverse(sums)
	if len(sums) < 5 || float64(sums[0]) < 1.25*float64(sums[4]) || byDistrict["jiulongpo"] < 8*byDistrict["xiushan"] {
		t.Fatalf("no concentration: %v", byDistrict)
	}
}

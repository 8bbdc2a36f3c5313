package replay

import (
	"math/rand/v2"
	"time"
)

// Traffic is a platform's snapshot of one session's counters as of a
// time, as RecordSessionMetrics takes it.
type Traffic struct {
	Session                               string // sessions/{id}
	Platform                              string
	AsOf                                  time.Time
	Views, Viewers, PeakConcurrentViewers int64
	AverageViewDuration                   time.Duration
	Likes, Comments, Shares, NewFollowers int64
	ProductImpressions, ProductClicks     int64
	Products                              []ProductTraffic
}

// ProductTraffic is one product's share of a snapshot.
type ProductTraffic struct {
	Product             string
	Impressions, Clicks int64
}

// Traffic calls fn with the snapshots of session s: one halfway through
// the stream and the final one ten minutes after its end, whose counters
// are the session's figures (the halfway one has at most them). A session
// draws 20 to 100 views per order; about half the views are unique
// viewers, a tenth of those at the peak; product impressions are most of
// the views and a tenth of them are clicked. Cancelled sessions have none.
// Its own random stream leaves the sales untouched.
func (g *Generator) Traffic(s *Session, fn func(*Traffic) error) error {
	if s.Cancelled {
		return nil
	}
	orders := int64(g.orders(s, rand.New(rand.NewPCG(g.cfg.Seed, uint64(s.Index)+1<<32))))
	r := rand.New(rand.NewPCG(g.cfg.Seed, uint64(s.Index)+2<<32))
	views := max(orders, 1) * (20 + r.Int64N(81))
	viewers := views * (35 + r.Int64N(26)) / 100
	final := &Traffic{
		Session: "sessions/" + s.ID, Platform: s.Platform, AsOf: s.End.Add(10 * time.Minute),
		Views: views, Viewers: viewers, PeakConcurrentViewers: viewers * (5 + r.Int64N(11)) / 100,
		AverageViewDuration: time.Duration(40+r.IntN(140)) * time.Second,
		Likes:               views * (2 + r.Int64N(8)) / 100, Comments: views * (5 + r.Int64N(15)) / 1000,
		Shares: views * (1 + r.Int64N(5)) / 1000, NewFollowers: viewers * (5 + r.Int64N(15)) / 1000,
	}
	for _, p := range s.Products {
		imp := views * (40 + r.Int64N(40)) / 100 / int64(len(s.Products))
		clk := imp * (6 + r.Int64N(12)) / 100
		final.Products = append(final.Products, ProductTraffic{Product: p.Name(), Impressions: imp, Clicks: clk})
		final.ProductImpressions += imp
		final.ProductClicks += clk
	}
	half := *final
	half.AsOf = s.Start.Add(s.End.Sub(s.Start) / 2)
	shrink := func(v int64) int64 { return v * 45 / 100 }
	half.Views, half.Viewers, half.PeakConcurrentViewers = shrink(final.Views), shrink(final.Viewers), shrink(final.PeakConcurrentViewers)
	half.Likes, half.Comments, half.Shares, half.NewFollowers = shrink(final.Likes), shrink(final.Comments), shrink(final.Shares), shrink(final.NewFollowers)
	half.Products = nil
	half.ProductImpressions, half.ProductClicks = 0, 0
	for _, p := range final.Products {
		q := ProductTraffic{Product: p.Product, Impressions: shrink(p.Impressions), Clicks: shrink(p.Clicks)}
		half.Products = append(half.Products, q)
		half.ProductImpressions += q.Impressions
		half.ProductClicks += q.Clicks
	}
	if err := fn(&half); err != nil {
		return err
	}
	return fn(final)
}

// AddTraffic counts a session's final snapshot into t, as the overview
// counts traffic: a session's latest snapshot, on the day it started.
func (t *Totals) AddTraffic(g *Generator, s *Session, final *Traffic) {
	from, to := g.Period()
	if s.Cancelled || s.Start.Before(from) || !s.Start.Before(to) {
		return
	}
	t.TrafficSessions++
	t.Views += final.Views
	t.Viewers += final.Viewers
}

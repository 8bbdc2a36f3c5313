package report

import (
	"math"
	"testing"
	"time"
)

func TestGPMIsGrossPerThousandViewsRoundedHalfToEven(t *testing.T) {
	for _, tc := range []struct {
		name         string
		gross, views int64
		want         int64
		ok           bool
	}{
		{"no views: absent, not 0", 5000, 0, 0, false},
		{"views without sales: a measured 0", 0, 1000, 0, true},
		{"¥50 over 2,000 views is ¥25 per thousand", 5000, 2000, 2500, true},
		{"half rounds to even, down", 1, 2000, 0, true}, // 0.5 -> 0
		{"half rounds to even, up", 3, 2000, 2, true},   // 1.5 -> 2
		{"more than half rounds up", 2, 1500, 1, true},  // 1.33 -> 1
		{"exact beyond int64 in the product", math.MaxInt64 / 10, math.MaxInt64 / 100, 10000, true},
		{"saturates instead of wrapping", math.MaxInt64, 1, math.MaxInt64, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := GPM(tc.gross, tc.views)
			if got != tc.want || ok != tc.ok {
				t.Fatalf("GPM(%d, %d) = %d, %v; want %d, %v", tc.gross, tc.views, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestDerivedMeasuresAreRatiosOfSums(t *testing.T) {
	if _, ok := Ratio(3, 0); ok {
		t.Fatal("a ratio over 0 must be absent")
	}
	// Two sessions: 1,000 views at 60 s and 3,000 at 20 s average 30 s,
	// not the 40 s an average of the averages would give.
	var m TrafficMetrics
	for _, x := range []TrafficMetrics{{Sessions: 1, Views: 1000, ViewMillis: 1000 * 60000}, {Sessions: 1, Views: 3000, ViewMillis: 3000 * 20000}} {
		m.add(&x)
	}
	if d, ok := m.AverageViewDuration(); !ok || d != 30*time.Second {
		t.Fatalf("weighted duration = %s, %v; want 30s", d, ok)
	}
	if _, ok := (TrafficMetrics{}).AverageViewDuration(); ok {
		t.Fatal("a duration without views must be absent")
	}
}

package config

import (
	"testing"
	"time"
)

func TestDefaultsFillOnlyWhatIsLeftOut(t *testing.T) {
	cases := []struct {
		name string
		fill func(*time.Duration, time.Duration)
		set  time.Duration
		want time.Duration
	}{
		{"OrDefault fills the zero value", OrDefault[time.Duration], 0, time.Minute},
		{"OrDefault keeps a negative value (it may mean off)", OrDefault[time.Duration], -1, -1},
		{"OrDefault keeps a set value", OrDefault[time.Duration], time.Second, time.Second},
		{"PositiveOr fills the zero value", PositiveOr[time.Duration], 0, time.Minute},
		{"PositiveOr fills a negative value", PositiveOr[time.Duration], -time.Second, time.Minute},
		{"PositiveOr keeps a positive value", PositiveOr[time.Duration], time.Second, time.Second},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := c.set
			c.fill(&got, time.Minute)
			if got != c.want {
				t.Fatalf("%s; want %s", got, c.want)
			}
		})
	}
}

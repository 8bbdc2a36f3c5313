package service

import (
	"fmt"
	"time"
	_ "time/tzdata" // the alliance's zone on a machine without a zone database (a bare container)
)

// DefaultTimeZone is the alliance's time zone, in which the services that
// have a -time-zone flag count days, weeks and opening hours by default.
const DefaultTimeZone = "Asia/Shanghai"

// LoadZone loads the time zone that a -time-zone flag names (an IANA
// name); empty is DefaultTimeZone. The error names the zone.
func LoadZone(name string) (*time.Location, error) {
	if name == "" {
		name = DefaultTimeZone
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("time zone %q: %w", name, err)
	}
	return loc, nil
}

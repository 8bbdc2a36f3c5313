package service_test

import (
	"strings"
	"testing"

	"github.com/cqlive/alliance/services/kit/service"
)

func TestLoadZoneDefaultsToTheAlliancesZoneAndNamesAWrongOne(t *testing.T) {
	loc, err := service.LoadZone("")
	if err != nil || loc.String() != service.DefaultTimeZone {
		t.Fatalf("LoadZone(\"\") = %v, %v; want %s", loc, err, service.DefaultTimeZone)
	}
	if loc, err := service.LoadZone("UTC"); err != nil || loc.String() != "UTC" {
		t.Fatalf("LoadZone(UTC) = %v, %v", loc, err)
	}
	if _, err := service.LoadZone("Mars/Olympus"); err == nil || !strings.Contains(err.Error(), `time zone "Mars/Olympus"`) {
		t.Fatalf("LoadZone(Mars/Olympus) = %v; want an error naming the zone", err)
	}
}

package service_test

import (
	"os/exec"
	"slices"
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

// TestEveryServiceCarriesTheZoneDatabase: a service binary whose machine
// has no zone database (a bare container, a minimal host) still loads its
// -time-zone, because the package that loads it links time/tzdata in.
func TestEveryServiceCarriesTheZoneDatabase(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to list the package's dependencies")
	}
	out, err := exec.Command(goBin, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	if !slices.Contains(strings.Fields(string(out)), "time/tzdata") {
		t.Fatal("kit/service does not link time/tzdata: LoadZone fails where the machine has no zone database")
	}
}

package adminhttp_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/cqlive/alliance/services/kit/adminhttp"
	"github.com/cqlive/alliance/services/kit/metrics"
	"github.com/cqlive/alliance/services/kit/testkit"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestTheProfilerIsOffUnlessAskedFor: /metrics is always there; the
// profiler only with -pprof.
func TestTheProfilerIsOffUnlessAskedFor(t *testing.T) {
	for _, withPprof := range []bool{false, true} {
		s, err := adminhttp.Start("127.0.0.1:0", adminhttp.Handler(metrics.New().Handler(), withPprof), testkit.Quiet)
		if err != nil {
			t.Fatal(err)
		}
		base := "http://" + s.Addr()
		if code, body := get(t, base+"/metrics"); code != 200 || !strings.Contains(body, "go_goroutines") {
			t.Errorf("pprof %v: /metrics %d %.100s", withPprof, code, body)
		}
		code, body := get(t, base+"/debug/pprof/goroutine?debug=1")
		if withPprof && (code != 200 || !strings.Contains(body, "goroutine profile")) {
			t.Errorf("with -pprof: %d %.100s", code, body)
		}
		if !withPprof && code != http.StatusNotFound {
			t.Errorf("without -pprof the profiler answers %d", code)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := http.Get(base + "/metrics"); err == nil {
			t.Error("the port still answers after Close")
		}
	}
}

// TestAPortInUseIsAClearError names the flag that changes it.
func TestAPortInUseIsAClearError(t *testing.T) {
	s, err := adminhttp.Start("127.0.0.1:0", http.NotFoundHandler(), testkit.Quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, err = adminhttp.Start(s.Addr(), http.NotFoundHandler(), testkit.Quiet)
	if err == nil || !strings.Contains(err.Error(), "-admin-addr") {
		t.Fatalf("second listen on %s: %v", s.Addr(), err)
	}
}

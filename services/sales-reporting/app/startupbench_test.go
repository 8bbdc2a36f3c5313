package app_test

import (
	"context"
	"flag"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cqlive/alliance/services/kit/grpcx"
	"github.com/cqlive/alliance/services/kit/service"
	"github.com/cqlive/alliance/services/kit/testkit"
	"github.com/cqlive/alliance/services/sales-reporting/app"
)

var startupDir = flag.String("startup-dir", "", "BenchmarkStartup: data folder holding a sales.db to start on (a copy: start-up may write to it)")

// BenchmarkStartup times app.New on an existing sales.db (a replay's, say)
// and reports the heap and the resident memory after it, so that a CPU
// profile of the start-up needs no replay:
//
//	cp -r /tmp/replay-e/sales-reporting /tmp/su && go test -run '^$' -bench Startup -benchtime 1x -count 3 -cpuprofile /tmp/su.prof ./app -args -startup-dir /tmp/su
func BenchmarkStartup(b *testing.B) {
	start := startsOn(b, *startupDir, "-startup-dir")
	for b.Loop() {
		t, cpu := time.Now(), cpuTime()
		srv, err := start()
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(time.Since(t).Seconds(), "startup-s")
		// The machine is shared: the CPU the start-up took moves less
		// than its wall time.
		b.ReportMetric((cpuTime() - cpu).Seconds(), "startup-cpu-s")
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "heap-MiB")
		anon, file, peak := residentMiB(b)
		b.ReportMetric(anon, "rss-anon-MiB")
		b.ReportMetric(file, "rss-file-MiB")
		b.ReportMetric(peak, "peak-rss-MiB") // of the process so far: the first round's is the start-up's
		// Serving with a context already done stops at once and closes
		// the store, so that the next round can open it.
		lis, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := srv.Serve(ctx, lis); err != nil {
			b.Fatal(err)
		}
	}
}

// startsOn skips b unless dir (given by flag) holds a sales.db, and
// returns how to start the service on it, beside a test registry and
// scheduler.
func startsOn(b *testing.B, dir, flag string) func() (*grpcx.Server, error) {
	if dir == "" {
		b.Skip("give -args " + flag + " DIR, a folder with a sales.db")
	}
	if _, err := os.Stat(filepath.Join(dir, app.Spec.DBFile)); err != nil {
		b.Fatal(err)
	}
	regAddr := testkit.Serve(b, newRegistry().Server(grpcx.ServerOptions{}))
	schedAddr := testkit.Serve(b, newScheduler().Server())
	return func() (*grpcx.Server, error) {
		return app.New(app.Config{Config: service.Config{DataDir: dir, ShutdownTimeout: 5 * time.Second},
			MemberRegistryAddr: regAddr, SessionSchedulingAddr: schedAddr}, testkit.Quiet)
	}
}

// cpuTime is the CPU time (user and system) this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// residentMiB reads this process's anonymous and file-backed resident
// memory and its peak from /proc (zeros where there is none).
func residentMiB(b *testing.B) (anon, file, peak float64) {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, 0, 0
	}
	for _, l := range strings.Split(string(raw), "\n") {
		k, v, _ := strings.Cut(l, ":")
		kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
		if err != nil {
			continue
		}
		switch k {
		case "RssAnon":
			anon = kb / 1024
		case "RssFile":
			file = kb / 1024
		case "VmHWM":
			peak = kb / 1024
		}
	}
	return anon, file, peak
}

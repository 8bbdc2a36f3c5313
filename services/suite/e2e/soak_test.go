package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cqlive/alliance/services/suite/soak"
)

// TestCrashSoak is `make soak` in small: ten SIGKILLs of a random service
// under write load, the clients resending what was not acknowledged; then
// every acknowledged write is stored exactly once, the reports equal a
// recount of the listed sales, no two sessions clash and every bbolt file
// passes tx.Check.
func TestCrashSoak(t *testing.T) {
	res := drill(t, "soak", "kills real processes for half a minute", func(ctx context.Context, dir string) (*soak.Result, error) {
		return soak.Run(ctx, soak.Options{Bin: binDir, Dir: dir, Cycles: 10,
			MinGap: 300 * time.Millisecond, MaxGap: 1500 * time.Millisecond, MaxDown: 300 * time.Millisecond, Progress: testLog{t}})
	})
	// A soak that wrote nothing, or killed nothing, proves nothing.
	if res.Cycles != 10 || len(res.Restarts) != 10 {
		t.Fatalf("%d cycles, %d restarts; want 10", res.Cycles, len(res.Restarts))
	}
	for _, kind := range []string{"RecordSale", "ImportSales", "CreateSession", "StartSession", "CreateMember"} {
		if res.Acked[kind] == 0 {
			t.Errorf("no %s was acknowledged: %v", kind, res.Acked)
		}
	}
}

// drill runs one of the soak package's drills (what: "soak", "drill")
// over a new folder within three minutes, unless -short (skip says why
// it is long), logs its summary and fails on a run that did not finish or
// whose checks found failures. It returns the result, for what the test
// asks of the run itself.
func drill[R interface {
	Summary() string
	OK() bool
}](t *testing.T, what, skip string, run func(ctx context.Context, dir string) (R, error)) R {
	t.Helper()
	if testing.Short() {
		t.Skip(skip)
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	res, err := run(ctx, dir)
	if err != nil {
		t.Fatalf("%s: %v%s", what, err, logTail(dir))
	}
	t.Log("\n" + res.Summary())
	if !res.OK() {
		t.Fatalf("the %s found failures%s", what, logTail(dir))
	}
	return res
}

type testLog struct{ t *testing.T }

func (l testLog) Write(b []byte) (int, error) {
	l.t.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

// logTail is the end of the processes' log, for a failure message.
func logTail(dir string) string {
	b, err := os.ReadFile(filepath.Join(dir, "suite.log"))
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return "\nprocess log (last lines):\n" + strings.Join(lines[max(0, len(lines)-60):], "\n")
}

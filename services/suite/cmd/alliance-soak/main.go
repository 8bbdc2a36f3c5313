// Command alliance-soak is the crash soak behind `make soak`: it starts
// member-registry, session-scheduling and sales-reporting from -bin on a
// fresh data folder, loads them with RecordSale, ImportSales, bookings
// (with start, end and cancel) and CreateMember, kills a random one with
// SIGKILL -cycles times at random moments and restarts it, while the
// clients resend what was not acknowledged. Then it checks that every
// acknowledged write is stored exactly once, that the reports equal a
// recount of the listed sales, that no two sessions clash, and that every
// bbolt file passes tx.Check. It prints the figures and exits 1 on any
// failure (2 when the soak could not run: a binary that does not start or
// come back); the data folder and the processes' log are kept then.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/cqlive/alliance/services/suite/soak"
)

func main() {
	var o soak.Options
	var keep bool
	flag.StringVar(&o.Bin, "bin", "bin", "folder of the service binaries")
	flag.StringVar(&o.Dir, "data-dir", "", "data folder (default: a new temporary folder)")
	flag.IntVar(&o.Cycles, "cycles", 100, "number of kills, each followed by a restart")
	flag.DurationVar(&o.MinGap, "min-gap", 500*time.Millisecond, "shortest wait between a restart and the next kill")
	flag.DurationVar(&o.MaxGap, "max-gap", 2500*time.Millisecond, "longest wait between a restart and the next kill")
	flag.DurationVar(&o.MaxDown, "max-down", 500*time.Millisecond, "longest time a killed service stays down before its restart")
	flag.IntVar(&o.StopEvery, "stop-every", 0, "every Nth cycle stops its victim cleanly (SIGTERM) instead of killing it; 0: never")
	flag.DurationVar(&o.Buffer, "changeover-buffer", 15*time.Minute, "session-scheduling's -changeover-buffer, also used by the clash check")
	flag.Uint64Var(&o.Seed, "seed", 0, "seed of the random choices (0: from the clock); printed at the end")
	flag.BoolVar(&keep, "keep", false, "keep the data folder even when the soak passes")
	flag.Parse()
	os.Exit(run(o, keep))
}

func run(o soak.Options, keep bool) int {
	if o.Dir == "" {
		dir, err := os.MkdirTemp("", "alliance-soak-")
		if err != nil {
			fmt.Fprintln(os.Stderr, "alliance-soak:", err)
			return 2
		}
		o.Dir = dir
	} else if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		fmt.Fprintln(os.Stderr, "alliance-soak:", err)
		return 2
	}
	o.Progress = os.Stdout
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := soak.Run(ctx, o)
	if err != nil {
		fmt.Fprintf(os.Stderr, "alliance-soak: %v\ndata and logs kept in %s\n", err, o.Dir)
		return 2
	}
	fmt.Print(res.Summary())
	if !res.OK() {
		fmt.Printf("FAIL: %d failures; data and logs kept in %s\n", res.Failures(), o.Dir)
		return 1
	}
	if keep {
		fmt.Printf("PASS; data and logs kept in %s\n", o.Dir)
	} else {
		_ = os.RemoveAll(o.Dir)
		fmt.Println("PASS")
	}
	return 0
}

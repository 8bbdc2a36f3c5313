// Package soak is the suite's crash soak: it runs member-registry,
// session-scheduling and sales-reporting as real processes from their
// binaries, loads them with the writes of the public gRPC API (RecordSale,
// ImportSales, CreateSession with start, end and cancel, CreateMember),
// kills a random one of them with SIGKILL at random times and restarts it
// on the same data, while the clients resend every write that was not
// acknowledged, unchanged (same external_id, same request_id). At the end
// it checks, through the same API, that every acknowledged write is
// stored exactly once and nothing else is, that every report equals a
// recount of the listed sales, that no two sessions clash, and, after a
// graceful stop, that every bbolt file passes bbolt's consistency check.
//
// It uses nothing but the API and the binaries' documented flags, so it
// keeps working as the services change inside.
package soak

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/cqlive/alliance/services/suite/internal/layout"
)

// Options of a soak.
type Options struct {
	// Bin is the folder of the service binaries.
	Bin string
	// Dir is the data folder; it should be empty. The logs of the
	// processes go to Dir/suite.log.
	Dir string
	// Cycles is the number of kills (each followed by a restart).
	Cycles int
	// Between two kills the soak waits a random time in [MinGap, MaxGap],
	// counted from the moment the last restarted service is healthy.
	MinGap, MaxGap time.Duration
	// A killed service stays down for a random time up to MaxDown before
	// it is started again, so that its clients and the services that
	// depend on it meet it down, not only restarted.
	MaxDown time.Duration
	// StopEvery, when above 0, makes every StopEvery-th cycle stop its
	// victim cleanly (SIGTERM) instead of killing it, so that what a clean
	// stop leaves for the next start (sales-reporting's engine image) is
	// checked under the same load and the same final count.
	StopEvery int
	// Buffer is the studios' changeover buffer, passed to
	// session-scheduling (-changeover-buffer) and used by the clash check.
	Buffer time.Duration
	// Seed makes the choice of victims, gaps and writes repeatable
	// (the timing of the processes is not).
	Seed uint64
	// Progress gets a line now and then; nil for none.
	Progress io.Writer
}

func (o *Options) defaults() {
	if o.Cycles <= 0 {
		o.Cycles = 100
	}
	if o.MinGap <= 0 {
		o.MinGap = 500 * time.Millisecond
	}
	if o.MaxGap < o.MinGap {
		o.MaxGap = o.MinGap + 2*time.Second
	}
	if o.MaxDown < 0 {
		o.MaxDown = 0
	}
	if o.Buffer <= 0 {
		o.Buffer = 15 * time.Minute
	}
	if o.Seed == 0 {
		o.Seed = uint64(time.Now().UnixNano())
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
}

// Result is what a soak did and found.
type Result struct {
	Seed     uint64
	Cycles   int
	Kills    map[string]int
	Restarts []time.Duration // from the new start to healthy
	Duration time.Duration

	// Acknowledged writes, by kind.
	Acked map[string]int
	// Bookings refused as double bookings: definite answers, not failures.
	RefusedBookings int
	// Resends by the gRPC code that caused them.
	Resends map[string]int

	// Failures. Lost: acknowledged but not stored (or not in the state
	// acknowledged). Doubled: stored more than once. Phantom: stored but
	// never acknowledged (a refused or unsent write). Altered: stored with
	// another payload than was sent. Refused: a valid write answered with
	// an error other than a double booking. ReportMismatches: a report or
	// count that differs from a recount of the listed records. Clashes:
	// pairs of sessions that double-book a studio or a host. CheckErrors:
	// what bbolt's tx.Check found. Exits: processes that ended without
	// being killed, or did not stop gracefully at the end.
	Lost, Doubled, Phantom, Altered, Refused      int
	ReportMismatches, Clashes, CheckErrors, Exits int
	// FilesChecked is the number of bbolt files tx.Check went through.
	FilesChecked int
	// Problems describes the failures (the first ones of each kind).
	Problems []string
}

// AckedTotal is the number of acknowledged writes of every kind.
func (r *Result) AckedTotal() int {
	n := 0
	for _, v := range r.Acked {
		n += v
	}
	return n
}

// Failures is the number of failures of every kind.
func (r *Result) Failures() int {
	return r.Lost + r.Doubled + r.Phantom + r.Altered + r.Refused + r.ReportMismatches + r.Clashes + r.CheckErrors + r.Exits
}

// OK says whether the soak found nothing wrong.
func (r *Result) OK() bool { return r.Failures() == 0 }

// Summary prints the figures, one topic a line.
func (r *Result) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "cycles %d in %s (seed %d); kills: %s; restart p50 %s, max %s\n",
		r.Cycles, r.Duration.Round(time.Second), r.Seed, counts(r.Kills), pct(r.Restarts, 50), pct(r.Restarts, 100))
	fmt.Fprintf(&b, "writes acknowledged %d: %s; bookings refused as double bookings %d\n",
		r.AckedTotal(), counts(r.Acked), r.RefusedBookings)
	resends := 0
	for _, v := range r.Resends {
		resends += v
	}
	fmt.Fprintf(&b, "resends %d: %s\n", resends, counts(r.Resends))
	fmt.Fprintf(&b, "lost %d, doubled %d, phantom %d, altered %d, refused %d, report mismatches %d, clashes %d, check errors %d (in %d bbolt files), unexpected exits %d\n",
		r.Lost, r.Doubled, r.Phantom, r.Altered, r.Refused, r.ReportMismatches, r.Clashes, r.CheckErrors, r.FilesChecked, r.Exits)
	for _, p := range r.Problems {
		fmt.Fprintf(&b, "  %s\n", p)
	}
	return b.String()
}

func counts(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

func pct(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := (len(s) - 1) * p / 100
	return s[i].Round(time.Millisecond)
}

// problems collects failure descriptions, a bounded number of each kind,
// so that a broken run prints what broke without flooding the terminal.
type problems struct {
	mu     sync.Mutex
	byKind map[string]int
	list   []string
}

const problemsPerKind = 5

func (p *problems) add(kind, format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.byKind == nil {
		p.byKind = map[string]int{}
	}
	p.byKind[kind]++
	if p.byKind[kind] <= problemsPerKind {
		p.list = append(p.list, kind+": "+fmt.Sprintf(format, args...))
	}
}

func (p *problems) count(kind string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.byKind[kind]
}

// Failure kinds, as counted in Result.
const (
	kindLost     = "lost"
	kindDoubled  = "doubled"
	kindPhantom  = "phantom"
	kindAltered  = "altered"
	kindRefused  = "refused"
	kindReport   = "report mismatch"
	kindClash    = "clash"
	kindCheck    = "check error"
	kindExit     = "unexpected exit"
	gracefulStop = 20 * time.Second
)

// Run runs a soak. It returns an error when the soak itself could not run
// (a binary that does not start, a service that does not come back after
// a kill); what the soak found is in the Result.
func Run(ctx context.Context, o Options) (*Result, error) {
	o.defaults()
	if entries, err := os.ReadDir(o.Dir); err != nil {
		return nil, err
	} else if len(entries) > 0 {
		return nil, fmt.Errorf("data folder %s is not empty: the checks count on a fresh suite", o.Dir)
	}
	began := time.Now()
	rng := rand.New(rand.NewPCG(o.Seed, 0x50a4))
	res := &Result{Seed: o.Seed, Kills: map[string]int{}}

	logFile, sink, err := suiteLog(o.Dir)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()

	addrs := layout.Addrs{MemberRegistry: layout.FreeAddr(), SessionScheduling: layout.FreeAddr(), SalesReporting: layout.FreeAddr()}
	keys, adminKey, _, err := layout.EnsureAuth(o.Dir)
	if err != nil {
		return nil, err
	}
	procs := layout.WithAuth(layout.Procs(addrs, o.Dir, "warn"), keys)
	for i := range procs {
		if procs[i].Name == "session-scheduling" {
			procs[i].Args = append(procs[i].Args, "-changeover-buffer", o.Buffer.String())
		}
	}
	cl := newCluster(o.Bin, procs, sink)
	defer cl.stop(gracefulStop) // a no-op after the stop below
	if err := cl.startAll(ctx); err != nil {
		return nil, err
	}
	c, err := connect(addrs, adminKey)
	if err != nil {
		return nil, err
	}
	defer c.Close()

	var probs problems
	l := newLoad(c, rng.Uint64(), &probs)
	if err := l.setup(ctx); err != nil {
		return nil, fmt.Errorf("setup: %w", err)
	}
	fmt.Fprintf(o.Progress, "soak: suite up in %s (logs in %s), load running, %d cycles to go\n",
		time.Since(began).Round(time.Millisecond), logFile.Name(), o.Cycles)
	loadCtx, stopLoad := context.WithCancel(ctx)
	done := l.run(loadCtx)

	names := cl.names()
	for cycle := 1; cycle <= o.Cycles; cycle++ {
		gap := o.MinGap + time.Duration(rng.Int64N(int64(o.MaxGap-o.MinGap)+1))
		select {
		case <-ctx.Done():
			stopLoad()
			<-done
			return nil, ctx.Err()
		case <-time.After(gap):
		}
		victim := names[rng.IntN(len(names))]
		down := time.Duration(rng.Int64N(int64(o.MaxDown) + 1))
		sig := syscall.SIGKILL
		if o.StopEvery > 0 && cycle%o.StopEvery == 0 {
			sig = syscall.SIGTERM
		}
		took, err := cl.kill(ctx, victim, down, sig)
		if err != nil {
			stopLoad()
			<-done
			return nil, fmt.Errorf("cycle %d: %w", cycle, err)
		}
		res.Cycles = cycle
		res.Kills[victim]++
		res.Restarts = append(res.Restarts, took)
		if cycle%10 == 0 || cycle == o.Cycles {
			fmt.Fprintf(o.Progress, "soak: cycle %d/%d: killed %s, down %s, healthy %s after its start; %d writes acknowledged\n",
				cycle, o.Cycles, victim, down.Round(time.Millisecond), took.Round(time.Millisecond), l.acked())
		}
	}
	stopLoad()
	<-done
	fmt.Fprintf(o.Progress, "soak: load stopped, %d writes acknowledged; checking\n", l.acked())

	if err := verify(l, o.Buffer, &probs); err != nil {
		return nil, fmt.Errorf("checking: %w", err)
	}
	for _, msg := range cl.stop(gracefulStop) {
		probs.add(kindExit, "%s", msg)
	}
	res.FilesChecked = checkFiles(o.Dir, len(cl.specs), &probs)

	res.Duration = time.Since(began)
	res.Acked, res.RefusedBookings, res.Resends = l.stats()
	res.Lost, res.Doubled, res.Phantom = probs.count(kindLost), probs.count(kindDoubled), probs.count(kindPhantom)
	res.Altered, res.Refused = probs.count(kindAltered), probs.count(kindRefused)
	res.ReportMismatches, res.Clashes = probs.count(kindReport), probs.count(kindClash)
	res.CheckErrors, res.Exits = probs.count(kindCheck), probs.count(kindExit)
	res.Problems = probs.list
	return res, nil
}

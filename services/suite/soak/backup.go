package soak

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	memberv1 "github.com/cqlive/alliance/gen/pb/alliance/member/v1"
	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	sessionv1 "github.com/cqlive/alliance/gen/pb/alliance/session/v1"
	"github.com/cqlive/alliance/services/suite/internal/layout"
	"github.com/cqlive/alliance/services/suite/internal/proc"
)

// BackupOptions of a backup drill.
type BackupOptions struct {
	// Bin is the folder of the service binaries and alliance-admin.
	Bin string
	// Dir is the drill's folder; it should be empty. It holds live/ (the
	// suite under load), backups/, restored/ (the suite started on the
	// backup) and suite.log.
	Dir string
	// Before is how long the load runs before the backup, After how long
	// it goes on once the backup has begun.
	Before, After time.Duration
	// Seed makes the writes repeatable (not their timing).
	Seed     uint64
	Progress io.Writer
}

// BackupResult is what a drill did and found.
type BackupResult struct {
	// Backup is the backup's folder; Took how long alliance-admin backup ran.
	Backup string
	Took   time.Duration
	// AckedBefore are the writes acknowledged before the backup began,
	// AckedTotal all the load's.
	AckedBefore, AckedTotal int
	// HeldRefusal is what restore said when asked to overwrite the
	// running suite's data folder; AlteredRefusal what verify said of a
	// copy of the backup with one byte changed.
	HeldRefusal, AlteredRefusal string
	// Problems: the failures, by kind as in a soak (lost, doubled, phantom,
	// altered, report mismatch, clash, check error, unexpected exit, and
	// "drill" for a step of the drill that went wrong).
	Problems []string
	failures int
}

// OK says whether the drill found nothing wrong.
func (r *BackupResult) OK() bool { return r.failures == 0 }

// Summary prints the figures.
func (r *BackupResult) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "backup %s in %s under load; writes acknowledged %d before it began, %d in all\n", r.Backup, r.Took.Round(time.Millisecond), r.AckedBefore, r.AckedTotal)
	fmt.Fprintf(&b, "restore over the running suite: %s\nverify of an altered copy: %s\n", firstLine(r.HeldRefusal), firstLine(r.AlteredRefusal))
	fmt.Fprintf(&b, "failures %d\n", r.failures)
	for _, p := range r.Problems {
		fmt.Fprintf(&b, "  %s\n", p)
	}
	return b.String()
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

const kindDrill = "drill"

// ledger is what the load had acknowledged at one moment.
type ledger struct {
	sales    map[string]bool                   // saleKey -> acknowledged
	names    map[string]string                 // saleKey -> the name RecordSale answered
	sessions map[string]sessionv1.SessionState // acknowledged bookings -> their last acknowledged state
	members  map[string]bool                   // acknowledged members
}

func (l *load) ledger() *ledger {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := &ledger{sales: map[string]bool{}, sessions: map[string]sessionv1.SessionState{}, members: map[string]bool{}, names: map[string]string{}}
	for k, s := range l.sales {
		if s.acked {
			c.sales[k] = true
			c.names[k] = s.name
		}
	}
	for n, s := range l.sessions {
		if s.acked {
			c.sessions[n] = s.want
		}
	}
	for m := range l.members {
		c.members[m] = true
	}
	return c
}

func (c *ledger) total() int { return len(c.sales) + len(c.sessions) + len(c.members) }

// RunBackup is the backup drill, against real processes: the suite runs
// under the soak's write load; alliance-admin backs it up while the load
// goes on; verify passes; restore refuses the running suite's folder; the
// suite stops, the backup is restored into a fresh folder and the suite
// started on it; then every write acknowledged before the backup began is
// there, once and as sent, what else is there was sent and is whole, the
// reports equal a recount of the listed sales, no two sessions clash, and
// after a graceful stop every file passes tx.Check. Last, verify must
// refuse a copy of the backup with one byte changed.
func RunBackup(ctx context.Context, o BackupOptions) (*BackupResult, error) {
	if o.Before <= 0 {
		o.Before = 2 * time.Second
	}
	if o.After <= 0 {
		o.After = time.Second
	}
	if o.Seed == 0 {
		o.Seed = uint64(time.Now().UnixNano())
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	if entries, err := os.ReadDir(o.Dir); err != nil {
		return nil, err
	} else if len(entries) > 0 {
		return nil, fmt.Errorf("drill folder %s is not empty", o.Dir)
	}
	logFile, sink, err := suiteLog(o.Dir)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	var probs problems
	res := &BackupResult{}
	finish := func() (*BackupResult, error) {
		res.Problems = probs.list
		for _, n := range probs.byKind {
			res.failures += n
		}
		return res, nil
	}

	// The suite under load.
	live, addrs, keys, err := startStores(ctx, o.Bin, filepath.Join(o.Dir, "live"), sink)
	if err != nil {
		return nil, err
	}
	defer live.stop(gracefulStop)
	c, err := connect(addrs, keys.adminKey)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	rng := rand.New(rand.NewPCG(o.Seed, 0xb4c))
	l := newLoad(c, rng.Uint64(), &probs)
	if err := l.setup(ctx); err != nil {
		return nil, fmt.Errorf("setup: %w", err)
	}
	loadCtx, stopLoad := context.WithCancel(ctx)
	done := l.run(loadCtx)
	stopped := false
	defer func() {
		if !stopped {
			stopLoad()
			<-done
		}
	}()
	time.Sleep(o.Before)

	// The backup, while the load goes on.
	before := l.ledger()
	res.AckedBefore = before.total()
	admin := func(args ...string) (string, error) {
		cmd := exec.CommandContext(ctx, filepath.Join(o.Bin, "alliance-admin"), args...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		return out.String(), err
	}
	began := time.Now()
	out, err := admin("backup", "-out", filepath.Join(o.Dir, "backups"), "-admin-key-file", keys.files.AdminKeyFile,
		"-member-registry-addr", addrs.MemberRegistry, "-session-scheduling-addr", addrs.SessionScheduling,
		"-sales-reporting-addr", addrs.SalesReporting)
	res.Took = time.Since(began)
	if err != nil {
		return nil, fmt.Errorf("alliance-admin backup: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`(?m)^backup (\S+) `).FindStringSubmatch(out)
	if m == nil {
		return nil, fmt.Errorf("alliance-admin backup said nothing of its folder:\n%s", out)
	}
	res.Backup = m[1]
	fmt.Fprintf(o.Progress, "backup: %s in %s, %d writes acknowledged before it began\n", res.Backup, res.Took.Round(time.Millisecond), res.AckedBefore)
	time.Sleep(o.After)
	stopLoad()
	<-done
	stopped = true
	res.AckedTotal = l.ledger().total()

	if out, err := admin("verify", res.Backup); err != nil {
		probs.add(kindDrill, "verify of the backup: %v\n%s", err, out)
	}
	// The running suite holds its files: restore must refuse to touch them.
	held, err := admin("restore", res.Backup, "-data-dir", filepath.Join(o.Dir, "live"))
	res.HeldRefusal = held
	if err == nil || !strings.Contains(held, "a running service holds the file") {
		probs.add(kindDrill, "restore over the running suite's folder: %v\n%s", err, held)
	}
	for _, msg := range live.stop(gracefulStop) {
		probs.add(kindExit, "%s", msg)
	}

	// The suite, started on the restored backup.
	restored := filepath.Join(o.Dir, "restored")
	if out, err := admin("restore", res.Backup, "-data-dir", restored); err != nil {
		return nil, fmt.Errorf("alliance-admin restore: %v\n%s", err, out)
	}
	again, addrs2, keys2, err := startStores(ctx, o.Bin, restored, sink)
	if err != nil {
		return nil, fmt.Errorf("the suite on the restored backup: %w", err)
	}
	defer again.stop(gracefulStop)
	c2, err := connect(addrs2, keys2.adminKey)
	if err != nil {
		return nil, err
	}
	defer c2.Close()
	l.c = c2
	if err := verifyRestored(l, before, &probs); err != nil {
		return nil, fmt.Errorf("checking the restored suite: %w", err)
	}
	for _, msg := range again.stop(gracefulStop) {
		probs.add(kindExit, "%s", msg)
	}
	checkFiles(restored, len(again.specs), &probs)

	// A copy with one byte changed no longer verifies.
	altered := filepath.Join(o.Dir, "altered")
	if err := copyDir(res.Backup, altered); err != nil {
		return nil, err
	}
	if err := flipByte(filepath.Join(altered, "sales.db"), 4096*2+17); err != nil {
		return nil, err
	}
	out, err = admin("verify", altered)
	res.AlteredRefusal = out
	if err == nil || !strings.Contains(out, "altered or damaged") {
		probs.add(kindDrill, "verify of a copy with a byte changed: %v\n%s", err, out)
	}
	return finish()
}

type suiteKeys struct {
	files    layout.Auth
	adminKey string
}

// startStores starts the three services on free ports with their data
// under dir, and their keys in dir.
func startStores(ctx context.Context, bin, dir string, sink func(proc.Line)) (*cluster, layout.Addrs, suiteKeys, error) {
	addrs := layout.Addrs{MemberRegistry: layout.FreeAddr(), SessionScheduling: layout.FreeAddr(), SalesReporting: layout.FreeAddr()}
	files, adminKey, _, err := layout.EnsureAuth(dir)
	if err != nil {
		return nil, addrs, suiteKeys{}, err
	}
	procs := layout.WithAuth(layout.Procs(addrs, dir, "warn"), files)
	for i := range procs {
		if procs[i].Name == "session-scheduling" {
			procs[i].Args = append(procs[i].Args, "-changeover-buffer", bookingBuffer.String())
		}
	}
	cl := newCluster(bin, procs, sink)
	if err := cl.startAll(ctx); err != nil {
		cl.stop(gracefulStop)
		return nil, addrs, suiteKeys{}, err
	}
	return cl, addrs, suiteKeys{files: files, adminKey: adminKey}, nil
}

// bookingBuffer is the studios' changeover buffer of the drill's suites.
const bookingBuffer = 15 * time.Minute

// after says whether a session acknowledged in state was may be in state
// now: a later write (begun after the backup's snapshot or not) may have
// moved it on, never back.
func after(was, now sessionv1.SessionState) bool {
	const (
		scheduled = sessionv1.SessionState_SESSION_STATE_SCHEDULED
		live      = sessionv1.SessionState_SESSION_STATE_LIVE
		ended     = sessionv1.SessionState_SESSION_STATE_ENDED
		cancelled = sessionv1.SessionState_SESSION_STATE_CANCELLED
	)
	switch was {
	case scheduled:
		return now == scheduled || now == live || now == ended || now == cancelled
	case live:
		return now == live || now == ended
	}
	return now == was
}

// verifyRestored checks the restored suite against the ledger of what was
// acknowledged before the backup began (cut) and the load's whole ledger.
func verifyRestored(l *load, cut *ledger, p *problems) error {
	sales, err := listSales(l)
	if err != nil {
		return err
	}
	byKey := map[string][]*salesv1.Sale{}
	for _, s := range sales {
		k := saleKey(s.GetPlatform(), s.GetExternalId())
		byKey[k] = append(byKey[k], s)
	}
	keys := make([]string, 0, len(l.sales))
	for k := range l.sales {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		sent, got := l.sales[k], byKey[k]
		switch {
		case len(got) > 1:
			p.add(kindDoubled, "sale %s is listed %d times", k, len(got))
		case len(got) == 0 && cut.sales[k]:
			p.add(kindLost, "sale %s was acknowledged before the backup began and is not in it", k)
		case len(got) == 1 && !sameSale(sent.sale, got[0]):
			p.add(kindAltered, "sale %s was sent as %v and is listed as %v", k, sent.sale, got[0])
		case len(got) == 1 && cut.names[k] != "" && got[0].GetName() != cut.names[k]:
			p.add(kindAltered, "sale %s was acknowledged as %s and is listed as %s", k, cut.names[k], got[0].GetName())
		}
	}
	for k, got := range byKey {
		if _, ok := l.sales[k]; !ok {
			p.add(kindPhantom, "sale %s (%s) is listed and was never sent", k, got[0].GetName())
		}
	}

	sessions, err := listSessions(l)
	if err != nil {
		return err
	}
	byName := map[string][]*sessionv1.Session{}
	for _, s := range sessions {
		byName[s.GetName()] = append(byName[s.GetName()], s)
	}
	for name, w := range l.sessions {
		got := byName[name]
		was, ackedBefore := cut.sessions[name]
		switch {
		case len(got) > 1:
			p.add(kindDoubled, "session %s is listed %d times", name, len(got))
		case len(got) == 0 && ackedBefore:
			p.add(kindLost, "session %s was acknowledged before the backup began and is not in it", name)
		case len(got) == 1 && w.refused:
			p.add(kindPhantom, "session %s was refused and is listed (%s)", name, got[0].GetState())
		case len(got) == 1 && ackedBefore && !after(was, got[0].GetState()):
			p.add(kindLost, "session %s is %s; before the backup began it was acknowledged %s", name, got[0].GetState(), was)
		}
	}
	for name := range byName {
		if _, ok := l.sessions[name]; !ok {
			p.add(kindPhantom, "session %s is listed and was never booked", name)
		}
	}
	if err := checkAgreement(l, sales, sessions, bookingBuffer, p); err != nil {
		return err
	}
	listed, err := listHosts(l)
	if err != nil {
		return err
	}
	for name := range cut.members {
		if listed[name] != 1 {
			p.add(kindLost, "member %s was acknowledged before the backup began and is listed %d times", name, listed[name])
		}
	}
	for name, n := range listed {
		switch {
		case n > 1:
			p.add(kindDoubled, "member %s is listed %d times", name, n)
		case strings.HasPrefix(name, "members/soak-m-") && !l.members[name]:
			p.add(kindPhantom, "member %s is listed and was never acknowledged", name)
		}
	}
	return nil
}

// listHosts counts how often each host is listed.
func listHosts(l *load) (map[string]int, error) {
	hosts, err := listAll(l, "ListMembers", func(ctx context.Context, token string) (*memberv1.ListMembersResponse, error) {
		return l.c.Members.ListMembers(ctx, &memberv1.ListMembersRequest{Kind: memberv1.MemberKind_MEMBER_KIND_HOST, PageSize: 1000, PageToken: token})
	}, (*memberv1.ListMembersResponse).GetMembers)
	if err != nil {
		return nil, err
	}
	seen := map[string]int{}
	for _, m := range hosts {
		seen[m.GetName()]++
	}
	return seen, nil
}

func copyDir(from, to string) error {
	if err := os.MkdirAll(to, 0o700); err != nil {
		return err
	}
	entries, err := os.ReadDir(from)
	if err != nil {
		return err
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), b, 0o600); err != nil {
			return err
		}
	}
	return nil
}

func flipByte(path string, at int64) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, at); err != nil {
		return err
	}
	b[0] ^= 0x5a
	_, err = f.WriteAt(b, at)
	return err
}

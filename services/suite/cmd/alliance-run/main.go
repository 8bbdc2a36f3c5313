// Command alliance-run starts the whole suite on one machine: the three
// services and the gateway, from the binaries `make build` put in bin/, with
// their data in ./data. It prints where each one listens, shows their
// warnings (all their logs with -v), reports a process that dies and then
// stops the others, and on Ctrl-C stops them all gracefully.
//
// Every service authenticates every call. The three share one admin key
// file and one internal secret, <data-dir>/admin.key and
// <data-dir>/service.secret, which the first start makes (mode 0600); the
// banner says where the admin key is and prints a grpcurl and a curl line
// that send it.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/cqlive/alliance/services/suite/internal/layout"
	"github.com/cqlive/alliance/services/suite/internal/proc"
)

func main() { layout.Exit("alliance-run", run(os.Args[1:])) }

type options struct {
	bin, data, logLevel string
	verbose             bool
	grace, startup      time.Duration
	addrs               layout.Addrs
}

func run(args []string) error {
	var o options
	fs := flag.NewFlagSet("alliance-run", flag.ContinueOnError)
	fs.StringVar(&o.bin, "bin", "bin", "folder of the service binaries (make build)")
	fs.StringVar(&o.data, "data-dir", "data", "data folder; each service keeps its bbolt file in a subfolder")
	fs.BoolVar(&o.verbose, "v", false, "print every log line of every process, not only warnings and start/stop")
	fs.StringVar(&o.logLevel, "log-level", "info", "log level passed to the processes")
	fs.DurationVar(&o.grace, "grace", 15*time.Second, "how long each process may take to stop before it is killed")
	fs.DurationVar(&o.startup, "startup-timeout", 30*time.Second, "how long to wait for each process to become healthy")
	fs.StringVar(&o.addrs.MemberRegistry, "member-registry-addr", layout.Defaults.MemberRegistry, "gRPC address of member-registry")
	fs.StringVar(&o.addrs.SessionScheduling, "session-scheduling-addr", layout.Defaults.SessionScheduling, "gRPC address of session-scheduling")
	fs.StringVar(&o.addrs.SalesReporting, "sales-reporting-addr", layout.Defaults.SalesReporting, "gRPC address of sales-reporting")
	fs.StringVar(&o.addrs.Gateway, "http-addr", layout.Defaults.Gateway, "HTTP address of the gateway")
	o.addrs.Admin = map[string]string{}
	for _, name := range layout.Names {
		def := layout.Defaults.Admin[name]
		o.addrs.Admin[name] = def
		fs.Func(name+"-admin-addr", "admin port (metrics at /metrics) of "+name+"; empty turns it off (default "+def+")", func(v string) error {
			o.addrs.Admin[name] = v
			return nil
		})
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	keys, _, made, err := layout.EnsureAuth(o.data)
	if err != nil {
		return err
	}
	specs := layout.WithAuth(layout.Procs(o.addrs, o.data, o.logLevel), keys)
	for _, s := range specs {
		if _, err := os.Stat(filepath.Join(o.bin, s.Name)); err != nil {
			return fmt.Errorf("%s: %w (run `make build` first)", filepath.Join(o.bin, s.Name), err)
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	out := &printer{verbose: o.verbose}
	if made {
		out.say("made a new admin API key in %s (mode 0600): anyone who has it may do anything, keep it secret", keys.AdminKeyFile)
	} else {
		out.say("admin API key: %s", keys.AdminKeyFile)
	}
	var procs []*proc.Proc
	stopAll := func() {
		for i := len(procs) - 1; i >= 0; i-- {
			p := procs[i]
			graceful := p.Stop(o.grace)
			out.say("%s stopped (%s%s)", p.Name, p.Describe(), map[bool]string{true: "", false: ", not graceful"}[graceful])
		}
	}

	// Start in dependency order, each one healthy before the next.
	for _, s := range specs {
		p, err := proc.Start(s.Name, filepath.Join(o.bin, s.Name), s.Args, s.Env, out.line)
		if err != nil {
			stopAll()
			return err
		}
		procs = append(procs, p)
		wctx, cancel := context.WithTimeout(ctx, o.startup)
		if s.GRPCService != "" {
			err = proc.WaitGRPC(wctx, p, s.Addr, s.GRPCService)
		} else {
			err = proc.WaitHTTP(wctx, p, "http://"+dialable(s.Addr)+"/readyz")
		}
		cancel()
		if err != nil {
			stopAll()
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
	}
	banner(o, keys.AdminKeyFile)

	// Wait for Ctrl-C or for a process to die.
	died := make(chan *proc.Proc, len(procs))
	for _, p := range procs {
		go func() { <-p.Done(); died <- p }()
	}
	select {
	case <-ctx.Done():
		out.say("stopping (Ctrl-C again does nothing more; each process gets %s)", o.grace)
		stop()
		stopAll()
		return nil
	case p := <-died:
		out.say("%s %s unexpectedly; stopping the others", p.Name, p.Describe())
		stopAll()
		return fmt.Errorf("%s %s", p.Name, p.Describe())
	}
}

// dialable turns a listen address like ":8080" into one a client can dial.
func dialable(addr string) string {
	if strings.HasPrefix(addr, ":") {
		return "localhost" + addr
	}
	return addr
}

// shellWord quotes s for a POSIX shell when it needs quoting.
func shellWord(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"$`\\*?[]{}()<>|&;#~!") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func banner(o options, adminKeyFile string) {
	a := o.addrs
	header := fmt.Sprintf(`-H "authorization: Bearer $(cat %s)"`, shellWord(adminKeyFile))
	grpcurl := filepath.Join(o.bin, "grpcurl")
	if wd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(wd, grpcurl); err == nil && !strings.HasPrefix(rel, "..") {
			grpcurl = rel // bin/grpcurl reads better than /home/.../bin/grpcurl
		}
	}
	fmt.Printf(`
The alliance suite is up (data in %s/):
  member-registry     gRPC  %s
  session-scheduling  gRPC  %s
  sales-reporting     gRPC  %s
  gateway             HTTP  http://%s   (OpenAPI: http://%s/openapi/, readiness: /readyz)

The console: http://%s/   (sign in with the admin key; the API page is /docs/)

Every call needs an API key; the admin key is in %s. Try:
  %s -plaintext %s %s alliance.member.v1.MemberRegistry/ListDistricts
  curl -s %s http://%s/v1/districts
%s
Load demo data with `+"`make demo`"+`. Ctrl-C stops everything.

`, o.data, dialable(a.MemberRegistry), dialable(a.SessionScheduling), dialable(a.SalesReporting),
		dialable(a.Gateway), dialable(a.Gateway), dialable(a.Gateway), adminKeyFile,
		shellWord(grpcurl), header, dialable(a.MemberRegistry), header, dialable(a.Gateway), metricsLines(a))
}

// metricsLines lists the admin ports that are on.
func metricsLines(a layout.Addrs) string {
	var b strings.Builder
	for _, name := range layout.Names {
		if addr := a.Admin[name]; addr != "" {
			if b.Len() == 0 {
				b.WriteString("\nMetrics (Prometheus), one admin port per process:\n")
			}
			fmt.Fprintf(&b, "  %-18s  http://%s/metrics\n", name, dialable(addr))
		}
	}
	return b.String()
}

// printer writes the processes' log lines, one at a time, prefixed by the
// process name. The services log JSON (log/slog); by default only
// warnings, errors and start/stop lines are shown. Lines that are not JSON
// (a panic, a bad flag) are always shown.
type printer struct {
	mu      sync.Mutex
	verbose bool
}

func (p *printer) say(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Printf("%-18s | %s\n", "alliance-run", fmt.Sprintf(format, args...))
}

var lifecycle = map[string]bool{"serving": true, "shutting down": true, "stopped": true, "exit": true}

func (p *printer) line(l proc.Line) {
	text := l.Text
	var rec map[string]any
	if json.Unmarshal([]byte(text), &rec) == nil {
		level, _ := rec["level"].(string)
		msg, _ := rec["msg"].(string)
		if !p.verbose && level != "WARN" && level != "ERROR" && !lifecycle[msg] {
			return
		}
		text = format(level, msg, rec)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Printf("%-18s | %s\n", l.Proc, text)
}

func format(level, msg string, rec map[string]any) string {
	keys := make([]string, 0, len(rec))
	for k := range rec {
		switch k {
		case "time", "level", "msg", "service":
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	fmt.Fprintf(&b, "%-5s %s", level, msg)
	for _, k := range keys {
		v := rec[k]
		if f, ok := v.(float64); ok && f == float64(int64(f)) {
			v = int64(f) // JSON numbers are floats; 1e+10 reads worse than 10000000000
		}
		fmt.Fprintf(&b, " %s=%v", k, v)
	}
	return b.String()
}

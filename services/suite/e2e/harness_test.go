package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"

	"github.com/cqlive/alliance/services/kit/testkit"
	"github.com/cqlive/alliance/services/kit/tlsx/tlsxtest"
	"github.com/cqlive/alliance/services/suite/internal/layout"
	"github.com/cqlive/alliance/services/suite/internal/proc"
)

// Built once per test binary run, in TestMain.
var (
	binDir  string
	grpcurl string
	repo    string
)

func TestMain(m *testing.M) {
	code, err := setup(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e setup:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

func setup(m *testing.M) (int, error) {
	var err error
	if repo, err = repoRoot(); err != nil {
		return 0, err
	}
	dir, err := os.MkdirTemp("", "alliance-e2e-bin-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	binDir = dir
	var pkgs []string
	for _, p := range layout.Procs(layout.Defaults, "", "info") {
		pkgs = append(pkgs, "./services/"+p.Name+"/cmd/"+p.Name)
	}
	pkgs = append(pkgs, "./services/suite/cmd/alliance-run", "./services/suite/cmd/alliance-demo", "./services/suite/cmd/alliance-admin")
	build := exec.Command("go", append([]string{"build", "-o", dir + string(os.PathSeparator)}, pkgs...)...)
	build.Dir = repo
	if out, err := build.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("go build %s: %v\n%s", strings.Join(pkgs, " "), err, out)
	}
	// The real grpcurl, as pinned in tools/go.mod: bin/grpcurl when `make
	// tools` has built it, else built here from the tools module. It sits
	// beside the other binaries, where the launcher's banner expects it.
	grpcurl = filepath.Join(dir, "grpcurl")
	if _, err := os.Stat(filepath.Join(repo, "bin", "grpcurl")); err == nil {
		if err := os.Symlink(filepath.Join(repo, "bin", "grpcurl"), grpcurl); err != nil {
			return 0, err
		}
	} else {
		b := exec.Command("go", "-C", filepath.Join(repo, "tools"), "build", "-o", grpcurl, "github.com/fullstorydev/grpcurl/cmd/grpcurl")
		b.Env = append(os.Environ(), "GOWORK=off")
		if out, err := b.CombinedOutput(); err != nil {
			return 0, fmt.Errorf("build grpcurl: %v\n%s", err, out)
		}
	}
	return m.Run(), nil
}

// repoRoot is the folder of go.work above the test's working directory.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.work above the working directory")
		}
		dir = parent
	}
}

// suite is the four processes of one test, on free loopback ports, with
// API keys on (as every binary has them) and, when asked, TLS.
type suite struct {
	t     *testing.T
	addrs layout.Addrs
	procs map[string]*proc.Proc
	// adminKey is the key in adminKeyFile, shared by the three services.
	adminKey, adminKeyFile string
	// certs is set when the suite runs with TLS and mutual TLS.
	certs *tlsxtest.Files
	mu    sync.Mutex
	logs  []string
	// specs are the processes as started, in order, for restart.
	specs []layout.Proc
	dial  []grpc.DialOption
	sink  func(proc.Line)
	// watch, when set, sees every line as it is logged (setWatch).
	watch func(proc.Line)
}

// options of startSuite.
type options struct {
	gatewayFlags   []string
	schedulerFlags []string // more flags of session-scheduling
	tls            bool     // TLS and mutual TLS everywhere, HTTPS at the gateway
	// otlp is the OTLP endpoint every process exports its spans to, at
	// once (the batch delay is 100 ms); "" is tracing off.
	otlp string
}

// startSuite starts the four binaries with temporary data folders and one
// shared pair of key files, and waits until each is healthy. Every process
// is stopped when the test ends, pass or fail; their logs are printed when
// it failed.
func startSuite(t *testing.T, gatewayFlags ...string) *suite {
	t.Helper()
	return start(t, options{gatewayFlags: gatewayFlags})
}

// startSuiteTLS is startSuite with TLS and mutual TLS on every connection.
func startSuiteTLS(t *testing.T) *suite {
	t.Helper()
	return start(t, options{tls: true})
}

func start(t *testing.T, o options) *suite {
	t.Helper()
	s := &suite{t: t, procs: map[string]*proc.Proc{}, addrs: layout.Addrs{
		MemberRegistry: testkit.FreeAddr(t), SessionScheduling: testkit.FreeAddr(t), SalesReporting: testkit.FreeAddr(t), Gateway: testkit.FreeAddr(t),
		Admin: map[string]string{},
	}}
	// Every process serves its metrics, on a port of its own.
	for _, name := range layout.Names {
		s.addrs.Admin[name] = testkit.FreeAddr(t)
	}
	t.Cleanup(func() {
		for i := len(s.specs) - 1; i >= 0; i-- {
			p := s.procs[s.specs[i].Name]
			if p == nil {
				continue // it failed to start
			}
			if !p.Stop(10*time.Second) && !p.Stopping() {
				t.Errorf("%s did not stop gracefully: %s", p.Name, p.Describe())
			}
		}
		if t.Failed() {
			s.mu.Lock()
			t.Logf("process logs:\n%s", strings.Join(s.logs, "\n"))
			s.mu.Unlock()
		}
	})
	sink := func(l proc.Line) {
		s.mu.Lock()
		s.logs = append(s.logs, l.Proc+" | "+l.Text)
		watch := s.watch
		s.mu.Unlock()
		if watch != nil {
			watch(l)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	data := t.TempDir()
	files, key, _, err := layout.EnsureAuth(data)
	if err != nil {
		t.Fatal(err)
	}
	s.adminKey, s.adminKeyFile = key, files.AdminKeyFile
	procs := layout.WithAuth(layout.Procs(s.addrs, data, "info"), files)
	if o.otlp != "" {
		procs = layout.WithTracing(procs, o.otlp)
		for i := range procs {
			procs[i].Env = append(procs[i].Env, "OTEL_BSP_SCHEDULE_DELAY=100")
		}
	}
	var dial []grpc.DialOption
	if o.tls {
		certs := tlsxtest.Write(t, t.TempDir())
		s.certs = &certs
		files := layout.TLS{CA: certs.CA, Cert: certs.ServerCert, Key: certs.ServerKey,
			ClientCert: certs.ClientCert, ClientKey: certs.ClientKey}
		procs = layout.WithTLS(procs, files)
		transport, err := files.Client().DialOption()
		if err != nil {
			t.Fatal(err)
		}
		dial = append(dial, transport)
	}
	s.dial = dial
	s.sink = sink
	for _, spec := range procs {
		switch spec.Name {
		case "gateway":
			spec.Args = append(spec.Args, o.gatewayFlags...)
		case "session-scheduling":
			spec.Args = append(spec.Args, o.schedulerFlags...)
		}
		s.specs = append(s.specs, spec)
		if err := s.launch(ctx, spec); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// launch starts one process of the suite and waits until it is healthy.
func (s *suite) launch(ctx context.Context, spec layout.Proc) error {
	p, err := proc.Start(spec.Name, filepath.Join(binDir, spec.Name), spec.Args, spec.Env, s.sink)
	if err != nil {
		return err
	}
	s.procs[spec.Name] = p
	if spec.GRPCService != "" {
		err = proc.WaitGRPC(ctx, p, spec.Addr, spec.GRPCService, s.dial...)
	} else {
		err = proc.WaitHTTPWith(ctx, p, s.httpClient(), s.gatewayURL()+"/readyz")
	}
	if err != nil {
		return fmt.Errorf("start %s: %w", spec.Name, err)
	}
	return nil
}

// restart starts the named process again, as it was started first, after
// it stopped (or was killed).
func (s *suite) restart(name string) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, spec := range s.specs {
		if spec.Name == name {
			if err := s.launch(ctx, spec); err != nil {
				s.t.Fatal(err)
			}
			return
		}
	}
	s.t.Fatalf("no process %s", name)
}

// setWatch has fn see every log line from now on, as it comes; nil stops.
func (s *suite) setWatch(fn func(proc.Line)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.watch = fn
}

// metrics scrapes the admin port of a process.
func (s *suite) metrics(name string) testkit.Metrics {
	s.t.Helper()
	return testkit.Scrape(s.t, "http://"+s.addrs.Admin[name]+"/metrics")
}

// logLines are the log lines so far of a process.
func (s *suite) logLines(name string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, l := range s.logs {
		if text, ok := strings.CutPrefix(l, name+" | "); ok {
			out = append(out, text)
		}
	}
	return out
}

func (s *suite) gatewayURL() string {
	if s.certs != nil {
		return "https://" + s.addrs.Gateway
	}
	return "http://" + s.addrs.Gateway
}

// httpClient trusts the suite's CA when TLS is on.
func (s *suite) httpClient() *http.Client {
	if s.certs == nil {
		return http.DefaultClient
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: s.certs.ClientConfig(s.t, false)}}
}

// admin is the Authorization header of the admin key.
func (s *suite) admin() map[string]string {
	return map[string]string{"Authorization": "Bearer " + s.adminKey}
}

// grpcurlDoor calls the three services with grpcurl as token (admin when "").
func (s *suite) grpcurlDoor(token string) grpcurlDoor {
	if token == "" {
		token = s.adminKey
	}
	d := grpcurlDoor{token: token, addrs: map[string]string{
		"alliance.member.":  s.addrs.MemberRegistry,
		"alliance.session.": s.addrs.SessionScheduling,
		"alliance.sales.":   s.addrs.SalesReporting,
	}}
	if s.certs != nil {
		d.tls = []string{"-cacert", s.certs.CA, "-cert", s.certs.ClientCert, "-key", s.certs.ClientKey}
	}
	return d
}

// httpDoor calls the gateway as token (admin when "").
func (s *suite) httpDoor(token string) httpDoor {
	if token == "" {
		token = s.adminKey
	}
	return httpDoor{base: s.gatewayURL(), token: token, client: s.httpClient()}
}

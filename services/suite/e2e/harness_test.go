package e2e

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

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
	pkgs = append(pkgs, "./services/suite/cmd/alliance-run", "./services/suite/cmd/alliance-demo")
	build := exec.Command("go", append([]string{"build", "-o", dir + string(os.PathSeparator)}, pkgs...)...)
	build.Dir = repo
	if out, err := build.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("go build %s: %v\n%s", strings.Join(pkgs, " "), err, out)
	}
	// The real grpcurl, as pinned in tools/go.mod: bin/grpcurl when `make
	// tools` has built it, else built here from the tools module.
	grpcurl = filepath.Join(repo, "bin", "grpcurl")
	if _, err := os.Stat(grpcurl); err != nil {
		grpcurl = filepath.Join(dir, "grpcurl")
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

// suite is the four processes of one test, on free loopback ports.
type suite struct {
	t     *testing.T
	addrs layout.Addrs
	procs map[string]*proc.Proc
	// adminKey is set when the suite runs with API keys on.
	adminKey string
	mu       sync.Mutex
	logs     []string
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startSuite starts the four binaries with temporary data folders and
// waits until each is healthy. Every process is stopped when the test
// ends, pass or fail; their logs are printed when it failed.
func startSuite(t *testing.T, gatewayFlags ...string) *suite {
	t.Helper()
	return start(t, false, gatewayFlags)
}

// startSuiteWithKeys starts the suite with API keys on; s.adminKey is the key.
func startSuiteWithKeys(t *testing.T) *suite {
	t.Helper()
	return start(t, true, nil)
}

func start(t *testing.T, keys bool, gatewayFlags []string) *suite {
	t.Helper()
	s := &suite{t: t, procs: map[string]*proc.Proc{}, addrs: layout.Addrs{
		MemberRegistry: freeAddr(t), SessionScheduling: freeAddr(t), SalesReporting: freeAddr(t), Gateway: freeAddr(t),
	}}
	var started []*proc.Proc
	t.Cleanup(func() {
		for i := len(started) - 1; i >= 0; i-- {
			p := started[i]
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
		s.mu.Unlock()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	data := t.TempDir()
	procs := layout.Procs(s.addrs, data, "info")
	if keys {
		files, key, err := layout.EnsureAuth(data)
		if err != nil {
			t.Fatal(err)
		}
		s.adminKey = key
		procs = layout.WithAuth(procs, files)
	}
	for _, spec := range procs {
		args := spec.Args
		if spec.GRPCService == "" {
			args = append(args, gatewayFlags...)
		}
		p, err := proc.Start(spec.Name, filepath.Join(binDir, spec.Name), args, nil, sink)
		if err != nil {
			t.Fatal(err)
		}
		started = append(started, p)
		s.procs[spec.Name] = p
		if spec.GRPCService != "" {
			err = proc.WaitGRPC(ctx, p, spec.Addr, spec.GRPCService)
		} else {
			err = proc.WaitHTTP(ctx, p, "http://"+spec.Addr+"/readyz")
		}
		if err != nil {
			t.Fatalf("start %s: %v", spec.Name, err)
		}
	}
	return s
}

func (s *suite) gatewayURL() string { return "http://" + s.addrs.Gateway }

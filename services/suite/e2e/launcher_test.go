package e2e

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cqlive/alliance/services/kit/testkit"
	"github.com/cqlive/alliance/services/suite/internal/layout"
)

// launch runs alliance-run on free ports with data in dataDir and waits
// for its banner. The admin ports are free ones too with metrics, else off.
func launch(t *testing.T, dataDir string, metrics bool) (*launched, string) {
	t.Helper()
	gw := testkit.FreeAddr(t)
	args := []string{"-bin", binDir, "-data-dir", dataDir,
		"-member-registry-addr", testkit.FreeAddr(t), "-session-scheduling-addr", testkit.FreeAddr(t),
		"-sales-reporting-addr", testkit.FreeAddr(t), "-http-addr", gw, "-grace", "5s"}
	for _, name := range layout.Names {
		admin := ""
		if metrics {
			admin = testkit.FreeAddr(t)
		}
		args = append(args, "-"+name+"-admin-addr="+admin)
	}
	cmd := exec.Command(filepath.Join(binDir, "alliance-run"), args...)
	out := &syncBuffer{}
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Kill on timeout; the launcher's children stop with it (Pdeathsig).
		_ = cmd.Process.Kill()
	})
	up := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(pr)
		signalled := false
		for sc.Scan() {
			out.WriteLine(sc.Text())
			if !signalled && strings.Contains(sc.Text(), "Ctrl-C stops everything") {
				close(up)
				signalled = true
			}
		}
	}()
	l := &launched{cmd: cmd, out: out, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); pw.Close(); close(l.done) }()
	select {
	case <-up:
	case <-l.done:
		t.Fatalf("launcher exited early:\n%s", out.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("launcher did not come up:\n%s", out.String())
	}
	return l, gw
}

type launched struct {
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
}

func (l *launched) waitExit(t *testing.T) int {
	t.Helper()
	select {
	case <-l.done:
		return l.cmd.ProcessState.ExitCode()
	case <-time.After(30 * time.Second):
		t.Fatalf("launcher did not exit:\n%s", l.out.String())
		return 0
	}
}

// child finds the pid of the launcher's child running binary name.
func child(t *testing.T, parent int, name string) int {
	t.Helper()
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	if len(stats) == 0 {
		t.Skip("no /proc to find the child in")
	}
	for _, st := range stats {
		b, err := os.ReadFile(st)
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...
		rest := string(b[bytes.LastIndexByte(b, ')')+1:])
		f := strings.Fields(rest)
		if len(f) < 2 || f[1] != strconv.Itoa(parent) {
			continue
		}
		dir := filepath.Dir(st)
		argv, _ := os.ReadFile(filepath.Join(dir, "cmdline"))
		argv0, _, _ := bytes.Cut(argv, []byte{0})
		if filepath.Base(string(argv0)) == name {
			pid, _ := strconv.Atoi(filepath.Base(dir))
			return pid
		}
	}
	t.Fatalf("no child %s of %d", name, parent)
	return 0
}

func TestLauncherStopsAllOnInterrupt(t *testing.T) {
	data := t.TempDir()
	l, gw := launch(t, data, true)
	cmd, out := l.cmd, l.out
	if r := send(t, "GET", "http://"+gw+"/readyz", "", nil); r.code != 200 {
		t.Fatalf("readyz: %d %s", r.code, r.raw)
	}
	keyFile := filepath.Join(data, "admin.key")
	t.Run("the first start makes the admin key, mode 0600, and says where", func(t *testing.T) {
		fi, err := os.Stat(keyFile)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("admin key: %v %v", fi, err)
		}
		if fi, err := os.Stat(filepath.Join(data, "service.secret")); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("service secret: %v %v", fi, err)
		}
		if !strings.Contains(out.String(), "made a new admin API key in "+keyFile) {
			t.Errorf("no word of the new key:\n%s", out.String())
		}
		// The services use the launcher's files, not ones of their own.
		for _, svc := range []string{"member-registry", "session-scheduling", "sales-reporting"} {
			if _, err := os.Stat(filepath.Join(data, svc, "admin.key")); err == nil {
				t.Errorf("%s made its own admin key", svc)
			}
		}
	})
	t.Run("the banner's grpcurl and curl lines work as printed", func(t *testing.T) {
		var lines []string
		for _, l := range strings.Split(out.String(), "\n") {
			l = strings.TrimSpace(l)
			if strings.HasPrefix(l, "curl ") || strings.Contains(l, "grpcurl ") {
				lines = append(lines, l)
			}
		}
		if len(lines) != 2 {
			t.Fatalf("want a grpcurl and a curl line, got %q in:\n%s", lines, out.String())
		}
		for _, line := range lines {
			if !strings.Contains(line, `-H "authorization: Bearer $(cat `+keyFile+`)"`) {
				t.Errorf("no key in %q", line)
			}
			got, err := exec.Command("bash", "-c", line).CombinedOutput()
			if err != nil || !strings.Contains(string(got), "banan") {
				t.Errorf("%s: %v\n%.300s", line, err, got)
			}
		}
	})
	t.Run("the banner gives the console's address, which serves the console", func(t *testing.T) {
		want := "The console: http://" + gw + "/"
		if !strings.Contains(out.String(), want) {
			t.Fatalf("no %q in:\n%s", want, out.String())
		}
		r := send(t, "GET", "http://"+gw+"/", "", nil)
		if r.code != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") || !strings.Contains(r.raw, `<div id="root">`) {
			t.Errorf("GET /: %d %s %.200s", r.code, r.header.Get("Content-Type"), r.raw)
		}
	})
	t.Run("the banner's metrics addresses serve each process's metrics", func(t *testing.T) {
		want := map[string]string{"member-registry": "grpc_server_started_total", "session-scheduling": "grpc_server_handled_total",
			"sales-reporting": "alliance_report_cells", "gateway": "alliance_gateway_http_requests_total"}
		for name, metric := range want {
			m := regexp.MustCompile(`(?m)^\s+` + name + `\s+(http://\S+/metrics)$`).FindStringSubmatch(out.String())
			if m == nil {
				t.Errorf("no metrics address of %s in:\n%s", name, out.String())
				continue
			}
			if r := send(t, "GET", m[1], "", nil); r.code != 200 || !strings.Contains(r.raw, "# TYPE "+metric+" ") {
				t.Errorf("GET %s: %d, no %s in %.300s", m[1], r.code, metric, r.raw)
			}
		}
	})
	_ = cmd.Process.Signal(syscall.SIGINT)
	if code := l.waitExit(t); code != 0 {
		t.Errorf("exit code %d:\n%s", code, out.String())
	}
	for _, name := range []string{"gateway", "sales-reporting", "session-scheduling", "member-registry"} {
		if !strings.Contains(out.String(), name+" stopped (exited with code 0)") {
			t.Errorf("%s did not stop gracefully:\n%s", name, out.String())
		}
	}
}

func TestLauncherReportsADeadProcess(t *testing.T) {
	// Keys from an earlier start are used, not replaced.
	data := t.TempDir()
	files, key, _, err := layout.EnsureAuth(data)
	if err != nil {
		t.Fatal(err)
	}
	l, gw := launch(t, data, false)
	out := l.out
	if strings.Contains(out.String(), "Metrics (Prometheus)") {
		t.Errorf("the banner lists admin ports that are off:\n%s", out.String())
	}
	if strings.Contains(out.String(), "made a new admin API key") || !strings.Contains(out.String(), "admin API key: "+files.AdminKeyFile) {
		t.Errorf("existing key not reported as such:\n%s", out.String())
	}
	if r := send(t, "GET", "http://"+gw+"/v1/districts", "", map[string]string{"Authorization": "Bearer " + key}); r.code != 200 {
		t.Errorf("the existing key does not work: %d %s", r.code, r.raw)
	}
	_ = syscall.Kill(child(t, l.cmd.Process.Pid, "session-scheduling"), syscall.SIGKILL)
	if code := l.waitExit(t); code != 1 {
		t.Errorf("exit code %d, want 1", code)
	}
	if !strings.Contains(out.String(), "session-scheduling killed by signal: killed unexpectedly; stopping the others") {
		t.Errorf("death not reported:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "member-registry stopped (exited with code 0)") {
		t.Errorf("others not stopped:\n%s", out.String())
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) WriteLine(l string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b.WriteString(l + "\n")
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

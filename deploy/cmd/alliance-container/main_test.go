package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// healthServer serves grpc.health.v1 on a free loopback port.
func healthServer(t *testing.T) (*health.Server, string) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gs := grpc.NewServer()
	hs := health.NewServer()
	healthpb.RegisterHealthServer(gs, hs)
	go gs.Serve(lis)
	t.Cleanup(gs.Stop)
	return hs, lis.Addr().String()
}

func TestProbeGRPC(t *testing.T) {
	hs, addr := healthServer(t)
	hs.SetServingStatus("alliance.member.v1.MemberRegistry", healthpb.HealthCheckResponse_SERVING)
	hs.SetServingStatus("alliance.sales.v1.SalesReporting", healthpb.HealthCheckResponse_NOT_SERVING)
	closed := func() string { // a port nobody listens on
		l, _ := net.Listen("tcp", "127.0.0.1:0")
		defer l.Close()
		return l.Addr().String()
	}()
	tests := []struct {
		name    string
		args    []string
		healthy bool
	}{
		{"the whole server serving is healthy", []string{"probe", "grpc", addr}, true},
		{"a named service serving is healthy", []string{"probe", "grpc", addr, "alliance.member.v1.MemberRegistry"}, true},
		{"a service NOT_SERVING is unhealthy", []string{"probe", "grpc", addr, "alliance.sales.v1.SalesReporting"}, false},
		{"an unknown service is unhealthy", []string{"probe", "grpc", addr, "no.such.Service"}, false},
		{"nobody listening is unhealthy within the timeout", []string{"probe", "-timeout", "300ms", "grpc", closed}, false},
		{"a missing address is a usage error", []string{"probe", "grpc"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			err := run(tc.args)
			if (err == nil) != tc.healthy {
				t.Fatalf("run(%q) = %v, want healthy=%v", tc.args, err, tc.healthy)
			}
			if time.Since(start) > 10*time.Second {
				t.Fatalf("probe took %v: it must give up at its timeout", time.Since(start))
			}
		})
	}
	hs.Shutdown() // a server shutting down turns NOT_SERVING
	if err := run([]string{"probe", "grpc", addr}); err == nil {
		t.Fatal("probe of a server shutting down passed")
	}
}

func TestProbeHTTP(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/healthz":
			w.Write([]byte("ok"))
		case "/readyz":
			http.Error(w, "member-registry: UNAVAILABLE", http.StatusServiceUnavailable)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	tests := []struct {
		path    string
		healthy bool
	}{
		{"/healthz", true},
		{"/readyz", false},
		{"/missing", false},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			err := run([]string{"probe", "http", srv.URL + tc.path})
			if (err == nil) != tc.healthy {
				t.Fatalf("probe %s = %v, want healthy=%v", tc.path, err, tc.healthy)
			}
		})
	}
}

// kubeletSecretVolume lays out dir as the kubelet does for a Secret with
// fsGroup set: the files are symlinks through ..data into a timestamped
// folder, and group read has been added (0440).
func kubeletSecretVolume(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	ts := filepath.Join(dir, "..2026_11_01_00_00_00.000000001")
	if err := os.Mkdir(ts, 0o750); err != nil {
		t.Fatal(err)
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(ts, name), []byte(content), 0o440); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Base(ts), filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	for name := range files {
		if err := os.Symlink(filepath.Join("..data", name), filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestInstallSecrets(t *testing.T) {
	files := map[string]string{"admin.key": "adm_0123456789abcdefghij\n", "service.secret": "0123456789abcdef0123456789abcdef\n"}
	src := kubeletSecretVolume(t, files)
	if fi, _ := os.Stat(filepath.Join(src, "admin.key")); fi.Mode().Perm()&0o077 == 0 {
		t.Fatalf("fixture: the source must be group-readable as the kubelet leaves it, is %v", fi.Mode().Perm())
	}
	dst := filepath.Join(t.TempDir(), "secrets")

	for round := 1; round <= 2; round++ { // a rerun in the same pod replaces the read-only copies
		if err := run([]string{"install-secrets", src, dst}); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		entries, err := os.ReadDir(dst)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != len(files) {
			t.Fatalf("round %d: dst holds %d entries, want exactly the %d secret files (no ..data, no temp files)", round, len(entries), len(files))
		}
		for name, want := range files {
			p := filepath.Join(dst, name)
			fi, err := os.Lstat(p)
			if err != nil {
				t.Fatal(err)
			}
			if !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o400 {
				t.Errorf("round %d: %s is %v, want a regular file with mode 0400", round, name, fi.Mode())
			}
			if got, _ := os.ReadFile(p); string(got) != want {
				t.Errorf("round %d: %s = %q, want %q", round, name, got, want)
			}
		}
	}
}

func TestInstallSecretsRefusesAnEmptySource(t *testing.T) {
	if err := installSecrets(t.TempDir(), filepath.Join(t.TempDir(), "out")); err == nil {
		t.Fatal("an empty secret volume was installed without complaint: a missing Secret must fail the init container")
	}
}

package service_test

import (
	"context"
	"flag"
	"io"
	"net/http"
	"testing"
	"time"

	adminv1 "github.com/cqlive/alliance/gen/pb/alliance/admin/v1"
	"github.com/cqlive/alliance/services/kit/auth"
	"github.com/cqlive/alliance/services/kit/boltdb"
	"github.com/cqlive/alliance/services/kit/service"
	"github.com/cqlive/alliance/services/kit/testkit"
	bolt "go.etcd.io/bbolt"
	"google.golang.org/grpc"
)

// TestAServiceServesItsMetricsAndBackups: a start-up with -admin-addr
// serves the server's RPC metrics and its store's commit metrics there
// while it serves, and Maintenance/Backup on its gRPC port; the admin
// port closes when the server stops.
func TestAServiceServesItsMetricsAndBackups(t *testing.T) {
	admin := testkit.FreeAddr(t)
	b := service.Start(service.Config{ShutdownTimeout: time.Second, Telemetry: service.Telemetry{AdminAddr: admin}, DataDir: t.TempDir()}, spec, testkit.Quiet)
	defer b.Abort()
	st, err := boltdb.OpenStore(b.DBPath(), boltdb.Schema{Version: 1, Buckets: [][]byte{[]byte("b")}}, b.BoltOptions(),
		func(tx *bolt.Tx) *bolt.Tx { return tx })
	if err != nil {
		t.Fatal(err)
	}
	b.OnClose(st.Close)
	b.Backups(st)
	srv, err := b.Serve(nil, auth.Policy{}, func(*grpc.Server) {})
	if err != nil {
		t.Fatal(err)
	}
	addr, stop := testkit.ServeOn(t, srv, "127.0.0.1:0")
	if err := st.Update(func(tx *bolt.Tx) error { return tx.Bucket([]byte("b")).Put([]byte("k"), []byte("v")) }); err != nil {
		t.Fatal(err)
	}
	stream, err := adminv1.NewMaintenanceClient(testkit.Dial(t, addr)).Backup(context.Background(), &adminv1.BackupRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var last *adminv1.BackupResponse
	for {
		msg, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		last = msg
	}
	if s := last.GetSummary(); s.GetService() != "demo-service" || s.GetFile() != "demo.db" || s.GetBucketKeys()["b"] != 1 || len(s.GetSha256()) != 64 {
		t.Fatalf("last message of the backup: %v", last)
	}
	m := testkit.Scrape(t, "http://"+admin+"/metrics")
	if got := m.Value("grpc_server_handled_total", map[string]string{"grpc_method": "Backup", "grpc_code": "OK"}); got != 1 {
		t.Errorf("Backup handled OK: %v", got)
	}
	if got := m.Value("alliance_boltdb_commit_writes", nil); got != 1 {
		t.Errorf("commits observed: %v, want 1", got)
	}
	if resp, err := http.Get("http://" + admin + "/debug/pprof/"); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("the profiler without -pprof: %v %v", resp.Status, err)
	}
	stop()
	if _, err := http.Get("http://" + admin + "/metrics"); err == nil {
		t.Error("the admin port still answers after the server stopped")
	}
}

// serveWith parses args (and the environment) as a service's flags, then
// starts a server with no store: what a process of the suite opens.
func serveWith(t *testing.T, args ...string) service.Config {
	t.Helper()
	var c service.Config
	if err := c.BindFlags(flag.NewFlagSet("demo", flag.ContinueOnError), spec).Parse(append([]string{"-data-dir", t.TempDir()}, args...)); err != nil {
		t.Fatal(err)
	}
	c.ShutdownTimeout = time.Second
	b := service.Start(c, spec, testkit.Quiet)
	defer b.Abort()
	srv, err := b.Serve(nil, auth.Policy{}, func(*grpc.Server) {})
	if err != nil {
		t.Fatal(err)
	}
	_, stop := testkit.ServeOn(t, srv, "127.0.0.1:0")
	t.Cleanup(stop)
	return c
}

func status(url string) int {
	resp, err := http.Get(url)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// The admin port is configured like every other flag: by -admin-addr or
// its variable (the flag wins), off when either is empty, and the
// profiler is there only with -pprof (or its variable).
func TestTheAdminPortFollowsItsFlagAndVariable(t *testing.T) {
	t.Run("the variable sets the address and turns the profiler on", func(t *testing.T) {
		addr := testkit.FreeAddr(t)
		t.Setenv("DEMO_SERVICE_ADMIN_ADDR", addr)
		t.Setenv("DEMO_SERVICE_PPROF", "true")
		serveWith(t)
		if got := status("http://" + addr + "/metrics"); got != http.StatusOK {
			t.Errorf("/metrics at the variable's address: %d", got)
		}
		if got := status("http://" + addr + "/debug/pprof/"); got != http.StatusOK {
			t.Errorf("/debug/pprof/ with DEMO_SERVICE_PPROF=true: %d", got)
		}
	})
	t.Run("the flag wins over the variable", func(t *testing.T) {
		byVar, byFlag := testkit.FreeAddr(t), testkit.FreeAddr(t)
		t.Setenv("DEMO_SERVICE_ADMIN_ADDR", byVar)
		serveWith(t, "-admin-addr", byFlag)
		if got := status("http://" + byFlag + "/metrics"); got != http.StatusOK {
			t.Errorf("/metrics at the flag's address: %d", got)
		}
		if got := status("http://" + byVar + "/metrics"); got != 0 {
			t.Errorf("the variable's address answers too: %d", got)
		}
		if got := status("http://" + byFlag + "/debug/pprof/"); got != http.StatusNotFound {
			t.Errorf("/debug/pprof/ without -pprof: %d", got)
		}
	})
	t.Run("an empty variable turns the port off", func(t *testing.T) {
		t.Setenv("DEMO_SERVICE_ADMIN_ADDR", "")
		if c := serveWith(t); c.AdminAddr != "" {
			t.Errorf("AdminAddr = %q", c.AdminAddr)
		} else if s, err := c.ServeAdmin(nil, testkit.Quiet); s != nil || err != nil {
			t.Errorf("an admin port opened on %q: %v", c.AdminAddr, err)
		}
	})
	t.Run("an empty flag turns the port off", func(t *testing.T) {
		if c := serveWith(t, "-admin-addr="); c.AdminAddr != "" {
			t.Errorf("AdminAddr = %q", c.AdminAddr)
		} else if s, err := c.ServeAdmin(nil, testkit.Quiet); s != nil || err != nil {
			t.Errorf("an admin port opened on %q: %v", c.AdminAddr, err)
		}
	})
	t.Run("without either, the default port is taken", func(t *testing.T) {
		var c service.Config
		if err := c.BindFlags(flag.NewFlagSet("demo", flag.ContinueOnError), spec).Parse(nil); err != nil {
			t.Fatal(err)
		}
		if c.AdminAddr != spec.DefaultAdminAddr {
			t.Errorf("AdminAddr = %q, want the spec's %q", c.AdminAddr, spec.DefaultAdminAddr)
		}
	})
}

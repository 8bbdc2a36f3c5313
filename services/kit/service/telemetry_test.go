package service_test

import (
	"context"
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

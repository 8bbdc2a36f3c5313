package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// stdoutOf runs f with os.Stdout sent to a pipe and returns what f wrote.
func stdoutOf(t *testing.T, f func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stdout
	os.Stdout = w
	defer func() { os.Stdout = saved }()
	done := make(chan string)
	go func() {
		b, _ := io.ReadAll(r)
		done <- string(b)
	}()
	f()
	w.Close()
	return <-done
}

// A measurement loads nothing: what it prints first names the folder it
// measures, not the year the generator would make from the flags' defaults
// (which, on a 4× folder measured without -aov-yuan, said "about
// 26000000 sale lines").
func TestAMeasurementDescribesItsFolderNotTheGenerator(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "not-a-replay")
	var err error
	out := stdoutOf(t, func() { err = run([]string{"-measure", "2", "-data-dir", dir}) })
	if err == nil || !strings.Contains(err.Error(), "-measure needs the data folder") {
		t.Fatalf("run on a folder without a replay: err = %v", err)
	}
	for _, generator := range []string{"average order", "sale lines", "ENDED sessions"} {
		if strings.Contains(out, generator) {
			t.Errorf("the measurement printed the generator's %q:\n%s", generator, out)
		}
	}
	if !strings.Contains(out, dir) || !strings.Contains(out, "2 starts") {
		t.Errorf("the measurement does not name its folder and its starts:\n%s", out)
	}
}

// The replay sends the key of an admin key file as the services read it:
// the first line that is not a comment. It read the raw first line, so a
// file that opens with "# staff" sent "# staff" and every call was refused.
func TestTheReplaySendsTheFirstKeyOfAnAdminKeyFileNotItsComment(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sent := make(chan string, 1)
	srv := grpc.NewServer(grpc.UnknownServiceHandler(func(_ any, stream grpc.ServerStream) error {
		md, _ := metadata.FromIncomingContext(stream.Context())
		select {
		case sent <- strings.Join(md.Get("authorization"), ","):
		default:
		}
		return status.Error(codes.Unauthenticated, "the test's server refuses every call")
	}))
	go srv.Serve(lis)
	defer srv.Stop()

	file := filepath.Join(t.TempDir(), "admin.key")
	if err := os.WriteFile(file, []byte("# staff of the alliance office\n\nadmin-key-one\nadmin-key-two\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	err = run([]string{"-admin-key-file", file, "-scale", "0.0001", "-queries", "0",
		"-member-registry-addr", addr, "-session-scheduling-addr", addr, "-sales-reporting-addr", addr})
	if status.Code(err) != codes.Unauthenticated && !strings.Contains(fmt.Sprint(err), "refuses every call") {
		t.Fatalf("run = %v; want the test server's refusal", err)
	}
	select {
	case got := <-sent:
		if got != "Bearer admin-key-one" {
			t.Errorf("the replay sent authorization %q, want %q", got, "Bearer admin-key-one")
		}
	default:
		t.Fatal("the replay made no call")
	}
}

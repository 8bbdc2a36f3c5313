package freeport

import (
	"net"
	"strconv"
	"testing"
)

// mustAddr is Addr, failing the test on an error.
func mustAddr(t *testing.T) string {
	t.Helper()
	addr, err := Addr()
	if err != nil {
		t.Fatal(err)
	}
	return addr
}

func TestAddrIsAFreeLoopbackPortBelowTheEphemeralRange(t *testing.T) {
	seen := map[string]bool{}
	for range 50 {
		addr := mustAddr(t)
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			t.Fatal(err)
		}
		p, _ := strconv.Atoi(port)
		if host != "127.0.0.1" || p < low || p >= high {
			t.Fatalf("Addr() = %s, want 127.0.0.1 with a port in [%d, %d)", addr, low, high)
		}
		l, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatalf("the port Addr() gave is not free: %v", err)
		}
		l.Close()
		seen[addr] = true
	}
	if len(seen) < 40 {
		t.Errorf("50 calls gave only %d different ports: not picked at random", len(seen))
	}
}

func TestAddrSkipsAPortThatIsTaken(t *testing.T) {
	// Every address Addr gives is held until the end, so a second pick of
	// one of them would be a port that is not free.
	var held []net.Listener
	defer func() {
		for _, l := range held {
			l.Close()
		}
	}()
	for range 30 {
		addr := mustAddr(t)
		l, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatalf("Addr() gave %s, which is held by this test: %v", addr, err)
		}
		held = append(held, l)
	}
}

// TestAddrNeverGivesAPortTwice: the ports a suite's start-up picks are not
// bound until its processes start, so two picks in one process must differ
// even when nothing holds the first (at random among 12,000 ports, 1,500
// picks would meet a duplicate almost surely).
func TestAddrNeverGivesAPortTwice(t *testing.T) {
	seen := map[string]bool{}
	for range 1500 {
		addr := mustAddr(t)
		if seen[addr] {
			t.Fatalf("Addr() gave %s twice", addr)
		}
		seen[addr] = true
	}
}

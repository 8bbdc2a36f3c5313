package config

import (
	"flag"
	"testing"
	"time"
)

func TestFlagBeatsEnvBeatsDefault(t *testing.T) {
	t.Setenv("SVC_GRPC_ADDR", ":6000")
	t.Setenv("SVC_BUFFER", "20m")
	var addr, dir string
	var buf time.Duration
	s := New(flag.NewFlagSet("t", flag.ContinueOnError), "SVC")
	s.String(&addr, "grpc-addr", ":50051", "")
	s.String(&dir, "data-dir", "data", "")
	s.Duration(&buf, "buffer", 15*time.Minute, "")
	if err := s.Parse([]string{"-data-dir", "/tmp/x"}); err != nil {
		t.Fatal(err)
	}
	if addr != ":6000" || dir != "/tmp/x" || buf != 20*time.Minute {
		t.Fatalf("addr=%q dir=%q buffer=%s", addr, dir, buf)
	}
	if err := s.Parse([]string{"-grpc-addr", ":7000"}); err != nil || addr != ":7000" {
		t.Fatalf("the flag must win over the environment: %q %v", addr, err)
	}
}

func TestBadEnvironmentValueIsAnError(t *testing.T) {
	t.Setenv("SVC_BUFFER", "fifteen")
	var buf time.Duration
	s := New(flag.NewFlagSet("t", flag.ContinueOnError), "SVC")
	s.Duration(&buf, "buffer", 15*time.Minute, "")
	if err := s.Parse(nil); err == nil {
		t.Fatal("want an error naming SVC_BUFFER")
	}
}

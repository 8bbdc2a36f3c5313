package config

import (
	"flag"
	"strings"
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
	for _, c := range []struct {
		kind   string
		define func(s *Set)
		want   string
	}{
		{"duration", func(s *Set) { var d time.Duration; s.Duration(&d, "buffer", 15*time.Minute, "") }, `SVC_BUFFER="fifteen": not a duration`},
		{"int", func(s *Set) { var n int; s.Int(&n, "buffer", 15, "") }, `SVC_BUFFER="fifteen": not an integer`},
		{"bool", func(s *Set) { var b bool; s.Bool(&b, "buffer", false, "") }, `SVC_BUFFER="fifteen": not a boolean`},
	} {
		t.Run(c.kind, func(t *testing.T) {
			t.Setenv("SVC_BUFFER", "fifteen")
			s := New(flag.NewFlagSet("t", flag.ContinueOnError), "SVC")
			c.define(s)
			if err := s.Parse(nil); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Parse = %v, want an error saying %s", err, c.want)
			}
		})
	}
}

func TestAGoodEnvironmentValueIsTheDefault(t *testing.T) {
	t.Setenv("SVC_WAIT", "2m")
	t.Setenv("SVC_WORKERS", "7")
	t.Setenv("SVC_TLS", "true")
	var (
		wait    time.Duration
		workers int
		tls     bool
	)
	s := New(flag.NewFlagSet("t", flag.ContinueOnError), "SVC")
	s.Duration(&wait, "wait", time.Minute, "")
	s.Int(&workers, "workers", 1, "")
	s.Bool(&tls, "tls", false, "")
	if err := s.Parse(nil); err != nil || wait != 2*time.Minute || workers != 7 || !tls {
		t.Fatalf("Parse = %v: wait %v workers %d tls %v, want 2m 7 true from the environment", err, wait, workers, tls)
	}
}

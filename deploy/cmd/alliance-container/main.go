// Command alliance-container does the two jobs the suite's containers need
// and a distroless image has no shell or tool for:
//
//	alliance-container probe grpc ADDR [SERVICE]   exit 0 while grpc.health.v1 says SERVING
//	alliance-container probe http URL              exit 0 on a 2xx answer
//	alliance-container install-secrets SRC DST     copy SRC's files to DST, owner-read-only
//
// Compose needs the probe for its healthchecks (Kubernetes probes gRPC and
// HTTP natively and does not use it). Kubernetes needs install-secrets: a
// pod that sets fsGroup (it must, so that a non-root process can write its
// PersistentVolume) gets its Secret files with group read added, and the
// services refuse a key file that anyone but its owner may read. An init
// container copies them to an in-memory emptyDir with mode 0400.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

const usage = `usage:
  alliance-container probe [-timeout 2s] grpc ADDR [SERVICE]
  alliance-container probe [-timeout 2s] http URL
  alliance-container install-secrets SRC_DIR DST_DIR`

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "alliance-container:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	switch args[0] {
	case "probe":
		fs := flag.NewFlagSet("probe", flag.ContinueOnError)
		timeout := fs.Duration("timeout", 2*time.Second, "how long the probe may take")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(context.Background(), *timeout)
		defer cancel()
		rest := fs.Args()
		switch {
		case len(rest) >= 2 && len(rest) <= 3 && rest[0] == "grpc":
			service := ""
			if len(rest) == 3 {
				service = rest[2]
			}
			return probeGRPC(ctx, rest[1], service)
		case len(rest) == 2 && rest[0] == "http":
			return probeHTTP(ctx, rest[1])
		}
		return errors.New(usage)
	case "install-secrets":
		if len(args) != 3 {
			return errors.New(usage)
		}
		return installSecrets(args[1], args[2])
	}
	return errors.New(usage)
}

// probeGRPC asks ADDR's grpc.health.v1 for SERVICE ("" is the whole server).
// It probes over plaintext: a suite run with TLS is probed by Kubernetes'
// own gRPC probe, which skips certificate checks, not by this command.
func probeGRPC(ctx context.Context, addr, service string) error {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()
	resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{Service: service})
	if err != nil {
		return fmt.Errorf("health check of %s: %w", addr, err)
	}
	if resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		return fmt.Errorf("%s is %s", addr, resp.GetStatus())
	}
	return nil
}

func probeHTTP(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return nil
}

// installSecrets copies every file of src (following the symlinks a
// Kubernetes secret volume is made of, and skipping its "..data" plumbing)
// into dst with mode 0400. Each file is written beside its target and
// renamed over it, so a rerun in the same pod replaces a copy it cannot
// open for writing and a reader never sees half a key.
func installSecrets(src, dst string) error {
	entries, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dst, 0o700); err != nil {
		return err
	}
	n := 0
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "..") {
			continue
		}
		from := filepath.Join(src, e.Name())
		fi, err := os.Stat(from)
		if err != nil {
			return err
		}
		if !fi.Mode().IsRegular() {
			continue
		}
		b, err := os.ReadFile(from)
		if err != nil {
			return err
		}
		if err := writeOwnerOnly(filepath.Join(dst, e.Name()), b); err != nil {
			return err
		}
		n++
	}
	if n == 0 {
		return fmt.Errorf("%s holds no file to install", src)
	}
	return nil
}

func writeOwnerOnly(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".install-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o400); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

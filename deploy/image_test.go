package deploy_test

import (
	"bytes"
	"context"
	"debug/buildinfo"
	"debug/elf"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

// imageBinaries are the processes deploy/Dockerfile puts in the image;
// the image also has alliance-admin, the tool.
var imageBinaries = []string{"member-registry", "session-scheduling", "sales-reporting", "gateway", "alliance-container"}

// runtimeEnv are variables the manifests set that no flag reads: the Go
// runtime, the OpenTelemetry SDK (the services' -otlp-endpoint falls back
// to OTEL_EXPORTER_OTLP_ENDPOINT, and the SDK reads the others) and the
// manifests themselves read them. Every other variable is a flag's.
var runtimeEnv = map[string]string{
	"OTEL_SERVICE_NAME":           "OpenTelemetry SDK",
	"OTEL_EXPORTER_OTLP_ENDPOINT": "OpenTelemetry SDK",
	"OTEL_RESOURCE_ATTRIBUTES":    "OpenTelemetry SDK",
	"GOMEMLIMIT":                  "Go runtime",
	"POD_NAME":                    "Kubernetes downward API, for OTEL_RESOURCE_ATTRIBUTES",
	"POD_NAMESPACE":               "Kubernetes downward API, for OTEL_RESOURCE_ATTRIBUTES",
}

// adminFlags are the flags of alliance-admin the manifests pass.
var adminFlags = map[string][]string{
	"backup":  {"out", "member-registry-addr", "session-scheduling-addr", "sales-reporting-addr", "admin-key-file"},
	"restore": {"data-dir"},
}

// buildContext copies the files .dockerignore lets into the image's build
// context to a new folder, as docker build would send them.
func buildContext(t *testing.T) (dir string, included []string) {
	t.Helper()
	root := repoRoot(t)
	pm := dockerignore(t)
	dir = t.TempDir()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if rel == "." || d.IsDir() {
			if rel == ".git" {
				return filepath.SkipDir
			}
			return nil
		}
		excluded, err := pm.MatchesOrParentMatches(filepath.ToSlash(rel))
		if err != nil || excluded {
			return err
		}
		included = append(included, filepath.ToSlash(rel))
		return copyFile(path, filepath.Join(dir, rel))
	})
	if err != nil {
		t.Fatal(err)
	}
	return dir, included
}

func dockerignore(t *testing.T) *patternmatcher.PatternMatcher {
	t.Helper()
	f, err := os.Open(filepath.Join(repoRoot(t), ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	patterns, err := ignorefile.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		t.Fatal(err)
	}
	return pm
}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.work")); err != nil {
		t.Fatalf("deploy's tests run from deploy/ inside the repository: %v", err)
	}
	return root
}

func copyFile(from, to string) error {
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return err
	}
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return err
	}
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, fi.Mode().Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// TestDockerignoreKeepsSecretsOut: nothing that holds a key, a secret or
// data reaches the build context, wherever it sits, and what the build
// reads does.
func TestDockerignoreKeepsSecretsOut(t *testing.T) {
	pm := dockerignore(t)
	for _, p := range []string{
		"data/admin.key", "data/service.secret", "data/member-registry/member.db",
		"deploy/compose/.env", "bin/gateway", "bin/alliance-admin", ".git/config",
		"services/gateway/data/x.db", "services/kit/tlsx/server.key", "gen/leak.pem",
		"services/suite/testdata/admin.key", "services/sales-reporting/.env",
		"deploy/kubernetes/overlays/prod/admin.key", "README.md",
	} {
		if excluded, err := pm.MatchesOrParentMatches(p); err != nil || !excluded {
			t.Errorf("%s would be in the image's build context (err %v)", p, err)
		}
	}
	_, included := buildContext(t)
	for _, p := range included {
		base := filepath.Base(p)
		if base == ".env" || strings.HasSuffix(base, ".key") || strings.HasSuffix(base, ".secret") || strings.HasSuffix(base, ".db") {
			t.Errorf("%s is in the image's build context", p)
		}
	}
	for _, need := range []string{"go.work", "go.work.sum", "deploy/build-binaries.sh", "deploy/go.mod", "deploy/go.sum",
		"deploy/cmd/alliance-container/main.go", "services/kit/go.mod", "gen/go.mod", "gen/openapi.go"} {
		if !slices.Contains(included, need) {
			t.Errorf("%s is not in the build context; the build needs it", need)
		}
	}
}

// TestImageBinaries builds the image's binaries with the Dockerfile's own
// recipe, from exactly the build context docker would send, and checks
// what the image promises: static, -trimpath, one per process.
func TestImageBinaries(t *testing.T) {
	ctxDir, _ := buildContext(t)
	out := t.TempDir()
	cmd := exec.Command("bash", filepath.Join(ctxDir, "deploy/build-binaries.sh"), out)
	cmd.Env = append(os.Environ(), "GOFLAGS=") // the recipe's flags, not the caller's
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("deploy/build-binaries.sh from the build context: %v\n%s", err, b)
	}
	for _, b := range append(slices.Clone(imageBinaries), "alliance-admin") {
		t.Run(b, func(t *testing.T) {
			path := filepath.Join(out, b)
			f, err := elf.Open(path)
			if err != nil {
				t.Fatalf("%s: %v", b, err)
			}
			defer f.Close()
			for _, p := range f.Progs {
				if p.Type == elf.PT_INTERP {
					t.Errorf("%s is dynamically linked: the distroless static image has no libc", b)
				}
			}
			info, err := buildinfo.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			settings := map[string]string{}
			for _, s := range info.Settings {
				settings[s.Key] = s.Value
			}
			for k, want := range map[string]string{"CGO_ENABLED": "0", "-trimpath": "true", "-tags": "timetzdata"} {
				if settings[k] != want {
					t.Errorf("%s built with %s=%q, want %q", b, k, settings[k], want)
				}
			}
		})
	}
	t.Run("every variable the manifests set is a flag of its binary", func(t *testing.T) {
		for proc, vars := range manifestEnv(t) {
			help := helpOf(t, filepath.Join(out, proc))
			for _, v := range vars {
				listed := strings.Contains(help, "(env "+v+")")
				_, runtime := runtimeEnv[v]
				switch {
				case !listed && !runtime:
					t.Errorf("the manifests set %s for %s, which %s -h does not list", v, proc, proc)
				case listed && runtime:
					t.Errorf("%s lists %s as a flag's variable, and runtimeEnv says no flag reads it", proc, v)
				}
			}
		}
	})
	t.Run("every flag the manifests pass alliance-admin exists", func(t *testing.T) {
		admin := filepath.Join(out, "alliance-admin")
		for sub, flags := range adminFlags {
			help := helpOf(t, admin, sub)
			for _, f := range flags {
				if !regexp.MustCompile(`(?m)^\s+-` + regexp.QuoteMeta(f) + `\b`).MatchString(help) {
					t.Errorf("alliance-admin %s -h does not list -%s", sub, f)
				}
			}
		}
	})
}

// helpOf is what a binary prints for -h (flag's usage goes to stderr).
func helpOf(t *testing.T, bin string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append(args, "-h")...)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	_ = cmd.Run() // -h may exit 0 or 2
	if !strings.Contains(buf.String(), "-") {
		t.Fatalf("%s %v -h printed no flags:\n%s", bin, args, buf.String())
	}
	return buf.String()
}

// manifestEnv is, per process, every variable compose.yaml and the
// rendered Kubernetes overlays set for it.
func manifestEnv(t *testing.T) map[string][]string {
	t.Helper()
	seen := map[string]map[string]bool{}
	add := func(proc, v string) {
		if seen[proc] == nil {
			seen[proc] = map[string]bool{}
		}
		seen[proc][v] = true
	}
	p := loadCompose(t, nil)
	for _, s := range p.Services {
		if len(s.Command) == 0 || !slices.Contains(imageBinaries, s.Command[0]) {
			continue
		}
		for v := range s.Environment {
			add(s.Command[0], v)
		}
	}
	for _, o := range overlays {
		c := render(t, o.dir)
		for _, w := range c.workloads() {
			for _, ctr := range w.tpl.Spec.Containers {
				if len(ctr.Command) == 0 || !slices.Contains(imageBinaries, ctr.Command[0]) {
					continue
				}
				for _, e := range ctr.Env {
					add(ctr.Command[0], e.Name)
				}
			}
		}
	}
	out := map[string][]string{}
	for proc, vars := range seen {
		out[proc] = sortedKeys(vars)
	}
	if len(out) != 4 {
		t.Fatalf("found the environment of %v, want the four processes", sortedKeys(out))
	}
	return out
}

// TestImageRunsTheSuite builds the image and runs compose.yaml from it,
// where a Docker engine is present; where none is, it says so and skips.
func TestImageRunsTheSuite(t *testing.T) {
	if out, err := exec.Command("docker", "info", "--format", "{{.ServerVersion}}").CombinedOutput(); err != nil {
		t.Skipf("no Docker engine here (docker info: %v: %s): the image is built and the suite run from it where one is", err, bytes.TrimSpace(out))
	}
	root := repoRoot(t)
	tag := fmt.Sprintf("alliance:test-%d", time.Now().UnixNano())
	docker := func(args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "docker", args...)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "ALLIANCE_IMAGE="+tag)
		b, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, b)
		}
		return string(b)
	}
	docker("build", "-f", "deploy/Dockerfile", "-t", tag, ".")
	t.Cleanup(func() { exec.Command("docker", "image", "rm", "-f", tag).Run() })

	// A project of its own, with fresh secrets and no published ports, so
	// that it meets no other suite on this host.
	dir := t.TempDir()
	env := filepath.Join(dir, ".env")
	secrets := fmt.Sprintf("ALLIANCE_ADMIN_KEY=adm_%x\nALLIANCE_SERVICE_SECRET=%x\n", time.Now().UnixNano(), []byte("test-secret-of-32-characters-at-least"))
	if err := os.WriteFile(env, []byte(secrets), 0o600); err != nil {
		t.Fatal(err)
	}
	override := filepath.Join(dir, "no-ports.yaml")
	var o strings.Builder
	o.WriteString("services:\n")
	for _, s := range composeProcesses {
		o.WriteString("  " + s + ":\n    ports: !reset []\n")
	}
	if err := os.WriteFile(override, []byte(o.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	project := fmt.Sprintf("alliance-test-%d", time.Now().UnixNano()%1e9)
	compose := func(args ...string) string {
		return docker(append([]string{"compose", "-p", project, "--env-file", env, "-f", "deploy/compose/compose.yaml", "-f", override}, args...)...)
	}
	t.Cleanup(func() {
		exec.Command("docker", "compose", "-p", project, "--env-file", env, "-f", filepath.Join(root, composeFile), "-f", override, "down", "-v").Run()
	})
	compose("up", "-d", "--wait", "--wait-timeout", "180")
	compose("exec", "-T", "gateway", "alliance-container", "probe", "http", "http://localhost:8080/readyz")
	for _, s := range stores {
		port, _ := listenPort(loadCompose(t, nil), s)
		compose("exec", "-T", s, "alliance-container", "probe", "grpc", fmt.Sprintf("localhost:%d", port))
	}
}

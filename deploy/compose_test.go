package deploy_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	"sigs.k8s.io/yaml"
)

const composeFile = "compose/compose.yaml"

// The suite's processes in compose.yaml, and the user every one runs as.
var (
	composeProcesses = []string{"member-registry", "session-scheduling", "sales-reporting", "gateway"}
	suiteUser        = "65532:65532"
)

// composeNoProbe are the services that may go without a healthcheck, and why.
var composeNoProbe = map[string]string{
	"backup":         "a one-shot tool (profile tools)",
	"restore":        "a one-shot tool (profile tools)",
	"otel-collector": "its image has no shell and no probe command",
}

// loadCompose loads compose.yaml with the compose-spec loader, as docker
// compose does: the compose-spec JSON schema refuses any unknown or
// misplaced attribute, and every profile is enabled so that no service
// escapes the checks. env is the environment to interpolate with.
func loadCompose(t *testing.T, env map[string]string) *types.Project {
	t.Helper()
	p, err := loadComposeBytes(t, nil, env)
	if err != nil {
		t.Fatalf("load %s: %v", composeFile, err)
	}
	return p
}

// loadComposeBytes loads content (compose.yaml's own when nil) in its folder.
func loadComposeBytes(t *testing.T, content []byte, env map[string]string) (*types.Project, error) {
	t.Helper()
	dir, err := filepath.Abs(filepath.Dir(composeFile))
	if err != nil {
		t.Fatal(err)
	}
	file := types.ConfigFile{Filename: filepath.Join(dir, filepath.Base(composeFile))}
	if content != nil {
		file.Content = content
	}
	return loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir:  dir,
		ConfigFiles: []types.ConfigFile{file},
		Environment: env,
	}, func(o *loader.Options) {
		o.SetProjectName("alliance", true)
		o.Profiles = []string{"*"}
	})
}

var composeChecks = map[string]func(p *types.Project) []error{
	"every service has a healthcheck":                composeHealthchecks,
	"every service has a restart policy":             composeRestart,
	"every store keeps its data on a named volume":   composeVolumes,
	"secrets are owner-only files, not environment":  composeSecrets,
	"every process runs hardened as the suite user":  composeHardening,
	"every address is another service's listen port": composeAddresses,
	"every listen and metrics port is published":     composePorts,
	"Prometheus scrapes every admin port":            composePrometheus,
}

func TestComposeFile(t *testing.T) {
	p := loadCompose(t, nil)
	for _, s := range composeProcesses {
		if _, err := p.GetService(s); err != nil {
			t.Errorf("compose.yaml has no %s: %v", s, err)
		}
	}
	for _, rule := range sortedKeys(composeChecks) {
		t.Run(rule, func(t *testing.T) {
			for _, err := range composeChecks[rule](p) {
				t.Error(err)
			}
		})
	}
}

// The optional tracing endpoint must stay unset unless the operator sets
// it: tracing is off without it, and an empty value is not "unset".
func TestComposeTracingEndpointPassesThrough(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		want *string
	}{
		{"unset in the operator's environment: unset in the container", nil, nil},
		{"set: passed on", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://otel-collector:4317"}, ptr("http://otel-collector:4317")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := loadCompose(t, tc.env)
			for _, name := range composeProcesses {
				s, _ := p.GetService(name)
				v, declared := s.Environment["OTEL_EXPORTER_OTLP_ENDPOINT"]
				if !declared {
					t.Fatalf("%s does not pass OTEL_EXPORTER_OTLP_ENDPOINT on", name)
				}
				if (v == nil) != (tc.want == nil) || (v != nil && *v != *tc.want) {
					t.Errorf("%s: OTEL_EXPORTER_OTLP_ENDPOINT = %v, want %v", name, deref(v), deref(tc.want))
				}
			}
		})
	}
}

func deref(p *string) string {
	if p == nil {
		return "<unset>"
	}
	return strconv.Quote(*p)
}

// The loader refuses what Docker Compose would refuse: prove the test
// would catch a misspelt attribute.
func TestComposeLoaderIsStrict(t *testing.T) {
	refusesEach(t, composeFile, []typo{
		{"    restart: \"no\"\n", "    restrat: \"no\"\n"},
		{"  interval: 10s\n", "  intervall: 10s\n"},
		{"volumes:\n  member-registry-data:\n", "volumes:\n  member-registry-data:\n    drive: local\n"},
	}, func(broken []byte) bool {
		_, err := loadComposeBytes(t, broken, nil)
		return err == nil
	})
}

// A typo replaces the first old in a file with new.
type typo struct{ old, new string }

// refusesEach reads file and fails the test unless accepts refuses the
// file with each of typos made in turn; a typo whose old is not in the
// file is a broken fixture.
func refusesEach(t *testing.T, file string, typos []typo, accepts func(broken []byte) bool) {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range typos {
		broken := strings.Replace(string(raw), bad.old, bad.new, 1)
		if broken == string(raw) {
			t.Fatalf("fixture: %q is not in %s", bad.old, file)
		}
		if accepts([]byte(broken)) {
			t.Errorf("%s with %q is accepted without error", file, strings.TrimSpace(bad.new))
		}
	}
}

func TestComposeChecksCatchBrokenFiles(t *testing.T) {
	mutations := []struct {
		rule   string
		mutate func(p *types.Project)
	}{
		{"every service has a healthcheck", func(p *types.Project) {
			edit(p, "sales-reporting", func(s *types.ServiceConfig) { s.HealthCheck = nil })
		}},
		{"every service has a healthcheck", func(p *types.Project) {
			edit(p, "gateway", func(s *types.ServiceConfig) { s.HealthCheck = &types.HealthCheckConfig{Disable: true} })
		}},
		{"every service has a healthcheck", func(p *types.Project) {
			edit(p, "member-registry", func(s *types.ServiceConfig) {
				s.HealthCheck.Test = types.HealthCheckTest{"CMD", "alliance-container", "probe", "grpc", "localhost:50052"}
			})
		}},
		{"every service has a restart policy", func(p *types.Project) { edit(p, "gateway", func(s *types.ServiceConfig) { s.Restart = "" }) }},
		{"every service has a restart policy", func(p *types.Project) { edit(p, "member-registry", func(s *types.ServiceConfig) { s.Restart = "no" }) }},
		{"every store keeps its data on a named volume", func(p *types.Project) {
			edit(p, "session-scheduling", func(s *types.ServiceConfig) { s.Volumes = nil })
		}},
		{"every store keeps its data on a named volume", func(p *types.Project) {
			edit(p, "sales-reporting", func(s *types.ServiceConfig) {
				s.Volumes[0].Type, s.Volumes[0].Source = types.VolumeTypeBind, "/srv/sales"
			})
		}},
		{"every store keeps its data on a named volume", func(p *types.Project) {
			edit(p, "member-registry", func(s *types.ServiceConfig) {
				s.Environment["MEMBER_REGISTRY_DATA_DIR"] = ptr("/var/lib/data")
			})
		}},
		{"secrets are owner-only files, not environment", func(p *types.Project) {
			edit(p, "member-registry", func(s *types.ServiceConfig) {
				s.Environment["MEMBER_REGISTRY_ADMIN_KEY"] = ptr("${ALLIANCE_ADMIN_KEY}")
			})
		}},
		{"secrets are owner-only files, not environment", func(p *types.Project) {
			edit(p, "session-scheduling", func(s *types.ServiceConfig) { s.Secrets[0].Mode = ptr(types.FileMode(0o444)) })
		}},
		{"secrets are owner-only files, not environment", func(p *types.Project) {
			edit(p, "sales-reporting", func(s *types.ServiceConfig) { s.Secrets[1].UID = "0" })
		}},
		{"secrets are owner-only files, not environment", func(p *types.Project) {
			edit(p, "gateway", func(s *types.ServiceConfig) { s.Environment["GATEWAY_TOKEN"] = ptr("adm_0123456789abcdefghijklmn") })
		}},
		{"secrets are owner-only files, not environment", func(p *types.Project) {
			edit(p, "member-registry", func(s *types.ServiceConfig) {
				s.Environment["MEMBER_REGISTRY_SERVICE_SECRET_FILE"] = ptr("/run/secrets/service-secret")
			})
		}},
		{"secrets are owner-only files, not environment", func(p *types.Project) {
			sec := p.Secrets["admin_key"]
			sec.Environment, sec.Content = "", "adm_inline-in-the-compose-file"
			p.Secrets["admin_key"] = sec
		}},
		{"every process runs hardened as the suite user", func(p *types.Project) { edit(p, "gateway", func(s *types.ServiceConfig) { s.User = "" }) }},
		{"every process runs hardened as the suite user", func(p *types.Project) { edit(p, "member-registry", func(s *types.ServiceConfig) { s.CapDrop = nil }) }},
		{"every process runs hardened as the suite user", func(p *types.Project) {
			edit(p, "sales-reporting", func(s *types.ServiceConfig) { s.SecurityOpt = nil })
		}},
		{"every process runs hardened as the suite user", func(p *types.Project) { edit(p, "prometheus", func(s *types.ServiceConfig) { s.Privileged = true }) }},
		{"every process runs hardened as the suite user", func(p *types.Project) { edit(p, "backup", func(s *types.ServiceConfig) { s.Image = "alliance:other" }) }},
		{"every address is another service's listen port", func(p *types.Project) {
			edit(p, "gateway", func(s *types.ServiceConfig) {
				s.Environment["GATEWAY_SALES_REPORTING_ADDR"] = ptr("sales-reporting:50052")
			})
		}},
		{"every address is another service's listen port", func(p *types.Project) {
			edit(p, "session-scheduling", func(s *types.ServiceConfig) {
				s.Environment["SESSION_SCHEDULING_MEMBER_REGISTRY_ADDR"] = ptr("registry:50051")
			})
		}},
		{"every address is another service's listen port", func(p *types.Project) {
			edit(p, "backup", func(s *types.ServiceConfig) { s.Command[5] = "-member-registry-addr=member-registry:50061" })
		}},
		{"every listen and metrics port is published", func(p *types.Project) {
			edit(p, "sales-reporting", func(s *types.ServiceConfig) {
				s.Ports = s.Ports[:1]
			})
		}},
		{"every listen and metrics port is published", func(p *types.Project) { edit(p, "gateway", func(s *types.ServiceConfig) { s.Ports[0].HostIP = "" }) }},
		{"Prometheus scrapes every admin port", func(p *types.Project) {
			edit(p, "gateway", func(s *types.ServiceConfig) { s.Environment["GATEWAY_ADMIN_ADDR"] = ptr(":9105") })
		}},
	}
	for _, m := range mutations {
		t.Run(m.rule, func(t *testing.T) {
			p := loadCompose(t, nil)
			if errs := composeChecks[m.rule](p); len(errs) != 0 {
				t.Fatalf("fails before the mutation: %v", errs)
			}
			m.mutate(p)
			if len(composeChecks[m.rule](p)) == 0 {
				t.Error("the check passed after the mutation")
			}
		})
	}
}

// edit changes service name of p in place (Services holds values).
func edit(p *types.Project, name string, f func(s *types.ServiceConfig)) {
	s, ok := p.Services[name]
	if !ok {
		panic("no service " + name)
	}
	f(&s)
	p.Services[name] = s
}

func envValue(s types.ServiceConfig, name string) (string, bool) {
	v, ok := s.Environment[name]
	if !ok || v == nil {
		return "", false
	}
	return *v, true
}

func isSuiteProcess(name string) bool { return slices.Contains(composeProcesses, name) }

func composeHealthchecks(p *types.Project) (errs []error) {
	for _, name := range sortedKeys(p.Services) {
		s := p.Services[name]
		hc := s.HealthCheck
		if hc == nil || hc.Disable || len(hc.Test) == 0 {
			if _, ok := composeNoProbe[name]; !ok {
				errs = append(errs, fmt.Errorf("%s has no healthcheck", name))
			}
			continue
		}
		if !isSuiteProcess(name) {
			continue
		}
		// The suite's own probe must ask the port the process listens on.
		listen, _ := envValue(s, envPrefix(name)+"_GRPC_ADDR")
		if name == "gateway" {
			listen, _ = envValue(s, "GATEWAY_HTTP_ADDR")
		}
		port, err := portOf(listen)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: listen address %q: %v", name, listen, err))
			continue
		}
		test := strings.Join(hc.Test, " ")
		if !strings.Contains(test, "alliance-container probe") || !strings.Contains(test, "localhost:"+strconv.Itoa(int(port))) {
			errs = append(errs, fmt.Errorf("%s: healthcheck %q does not probe its own port %d", name, test, port))
		}
	}
	return errs
}

func composeRestart(p *types.Project) (errs []error) {
	for _, name := range sortedKeys(p.Services) {
		s := p.Services[name]
		oneShot := slices.Contains(s.Profiles, "tools")
		switch {
		case s.Restart == "":
			errs = append(errs, fmt.Errorf("%s has no restart policy", name))
		case oneShot && s.Restart != types.RestartPolicyNo:
			errs = append(errs, fmt.Errorf("one-shot %s restarts (%s)", name, s.Restart))
		case !oneShot && s.Restart == types.RestartPolicyNo:
			errs = append(errs, fmt.Errorf("%s is not restarted when it dies", name))
		}
	}
	return errs
}

func composeVolumes(p *types.Project) (errs []error) {
	stateful := append(slices.Clone(stores), "prometheus")
	for _, name := range stateful {
		s := p.Services[name]
		dir, ok := envValue(s, envPrefix(name)+"_DATA_DIR")
		if name == "prometheus" {
			dir, ok = "/prometheus", true
		}
		if !ok {
			errs = append(errs, fmt.Errorf("%s: %s_DATA_DIR is not set", name, envPrefix(name)))
			continue
		}
		found := false
		for _, v := range s.Volumes {
			if v.Target == dir && v.Type == types.VolumeTypeVolume && !v.ReadOnly {
				if _, declared := p.Volumes[v.Source]; declared {
					found = true
				}
			}
		}
		if !found {
			errs = append(errs, fmt.Errorf("%s: its data dir %s is not a named volume", name, dir))
		}
	}
	return errs
}

// secretish names an environment variable that would hold a secret itself.
func secretish(name string) bool {
	for _, w := range []string{"KEY", "SECRET", "TOKEN", "PASSWORD"} {
		if strings.Contains(name, w) {
			return !strings.HasSuffix(name, "_FILE")
		}
	}
	return false
}

func composeSecrets(p *types.Project) (errs []error) {
	for _, name := range sortedKeys(p.Secrets) {
		sec := p.Secrets[name]
		if sec.Content != "" {
			errs = append(errs, fmt.Errorf("secret %s is written in compose.yaml itself", name))
		}
		if sec.Environment == "" && sec.File == "" {
			errs = append(errs, fmt.Errorf("secret %s has no source", name))
		}
	}
	for _, name := range sortedKeys(p.Services) {
		s := p.Services[name]
		uid, _, _ := strings.Cut(s.User, ":")
		targets := map[string]bool{}
		for _, sec := range s.Secrets {
			target := sec.Target
			if !strings.HasPrefix(target, "/") {
				target = "/run/secrets/" + target
			}
			targets[target] = true
			if sec.Mode == nil || *sec.Mode&0o077 != 0 {
				errs = append(errs, fmt.Errorf("%s: secret %s may be read by others (mode %v); the services refuse that", name, sec.Source, sec.Mode))
			}
			if sec.UID != uid {
				errs = append(errs, fmt.Errorf("%s: secret %s is owned by uid %q, the process runs as %q", name, sec.Source, sec.UID, uid))
			}
			// A secret from a file is bind-mounted with the host's owner
			// and mode, whatever uid and mode say.
			if p.Secrets[sec.Source].File != "" {
				errs = append(errs, fmt.Errorf("%s: secret %s is a file secret; Compose ignores its uid and mode", name, sec.Source))
			}
		}
		for _, k := range sortedKeys(s.Environment) {
			v, _ := envValue(s, k)
			if secretish(k) || strings.HasPrefix(v, "adm_") || strings.HasPrefix(v, "svc_") {
				errs = append(errs, fmt.Errorf("%s: %s holds a secret in the environment; pass a file", name, k))
			}
			if strings.HasSuffix(k, "_FILE") && strings.HasPrefix(v, "/run/secrets/") && !targets[v] {
				errs = append(errs, fmt.Errorf("%s: %s=%s is not a secret the service mounts", name, k, v))
			}
		}
		for _, a := range s.Command {
			if k, v, ok := strings.Cut(a, "="); ok && strings.HasSuffix(k, "-file") && strings.HasPrefix(v, "/run/secrets/") && !targets[v] {
				errs = append(errs, fmt.Errorf("%s: %s is not a secret the service mounts", name, a))
			}
		}
	}
	return errs
}

func composeHardening(p *types.Project) (errs []error) {
	images := map[string]bool{}
	for _, name := range sortedKeys(p.Services) {
		s := p.Services[name]
		if s.Privileged {
			errs = append(errs, fmt.Errorf("%s is privileged", name))
		}
		if !slices.Contains(s.CapDrop, "ALL") || len(s.CapAdd) > 0 {
			errs = append(errs, fmt.Errorf("%s keeps capabilities (cap_drop %v, cap_add %v)", name, s.CapDrop, s.CapAdd))
		}
		if !slices.Contains(s.SecurityOpt, "no-new-privileges:true") {
			errs = append(errs, fmt.Errorf("%s may gain privileges (no no-new-privileges)", name))
		}
		if strings.HasPrefix(s.Image, "prom/") || strings.HasPrefix(s.Image, "otel/") {
			continue // their images' own users
		}
		images[s.Image] = true
		if s.User != suiteUser {
			errs = append(errs, fmt.Errorf("%s runs as %q, want the suite's non-root %s", name, s.User, suiteUser))
		}
	}
	if len(images) != 1 {
		errs = append(errs, fmt.Errorf("the suite runs from one image, compose.yaml names %v", sortedKeys(images)))
	}
	return errs
}

// listenPort is the port a suite process listens on.
func listenPort(p *types.Project, name string) (int32, bool) {
	s, ok := p.Services[name]
	if !ok {
		return 0, false
	}
	for _, k := range []string{"_GRPC_ADDR", "_HTTP_ADDR"} {
		if v, ok := envValue(s, envPrefix(name)+k); ok {
			port, err := portOf(v)
			return port, err == nil
		}
	}
	return 0, false
}

func composeAddresses(p *types.Project) (errs []error) {
	for _, name := range sortedKeys(p.Services) {
		s := p.Services[name]
		var addrs []string
		for _, k := range sortedKeys(s.Environment) {
			if v, ok := envValue(s, k); ok && strings.HasSuffix(k, "_ADDR") {
				addrs = append(addrs, v)
			}
		}
		for _, a := range s.Command {
			if k, v, ok := strings.Cut(a, "="); ok && strings.HasSuffix(k, "-addr") {
				addrs = append(addrs, v)
			}
		}
		for _, addr := range addrs {
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: address %q: %v", name, addr, err))
				continue
			}
			if host == "" {
				continue // a listen address
			}
			port, _ := portOf(addr)
			want, ok := listenPort(p, host)
			switch {
			case !ok:
				errs = append(errs, fmt.Errorf("%s dials %s: no such suite service", name, addr))
			case want != port:
				errs = append(errs, fmt.Errorf("%s dials %s, but %s listens on %d", name, addr, host, want))
			}
		}
	}
	return errs
}

func composePorts(p *types.Project) (errs []error) {
	for _, name := range composeProcesses {
		s := p.Services[name]
		want := map[uint32]bool{}
		for _, k := range []string{"_GRPC_ADDR", "_HTTP_ADDR", "_ADMIN_ADDR"} {
			if v, ok := envValue(s, envPrefix(name)+k); ok {
				port, err := portOf(v)
				if err != nil {
					errs = append(errs, fmt.Errorf("%s: %s%s=%q: %v", name, envPrefix(name), k, v, err))
					continue
				}
				want[uint32(port)] = true
			}
		}
		for _, pc := range s.Ports {
			if want[pc.Target] {
				delete(want, pc.Target)
			}
			// Published on loopback unless the operator says otherwise
			// (ALLIANCE_PUBLISH_ADDR): an empty host IP is every address.
			if pc.HostIP == "" {
				errs = append(errs, fmt.Errorf("%s publishes %d on every address of the host", name, pc.Target))
			}
		}
		for port := range want {
			errs = append(errs, fmt.Errorf("%s does not publish its port %d", name, port))
		}
	}
	return errs
}

// prometheusConfig is the part of prometheus.yml the suite uses, decoded
// strictly (the full config loader pulls in every service discovery).
type prometheusConfig struct {
	Global struct {
		ScrapeInterval     string `json:"scrape_interval"`
		EvaluationInterval string `json:"evaluation_interval"`
	} `json:"global"`
	RuleFiles     []string `json:"rule_files"`
	ScrapeConfigs []struct {
		JobName       string `json:"job_name"`
		StaticConfigs []struct {
			Targets []string `json:"targets"`
		} `json:"static_configs"`
	} `json:"scrape_configs"`
}

func composePrometheus(p *types.Project) (errs []error) {
	raw, err := os.ReadFile("compose/prometheus.yml")
	if err != nil {
		return []error{err}
	}
	var cfg prometheusConfig
	if err := yaml.UnmarshalStrict(raw, &cfg); err != nil {
		return []error{fmt.Errorf("prometheus.yml: %v", err)}
	}
	targets := map[string]bool{}
	for _, sc := range cfg.ScrapeConfigs {
		for _, st := range sc.StaticConfigs {
			for _, tg := range st.Targets {
				targets[tg] = true
			}
		}
	}
	for _, name := range composeProcesses {
		v, ok := envValue(p.Services[name], envPrefix(name)+"_ADMIN_ADDR")
		if !ok {
			errs = append(errs, fmt.Errorf("%s: %s_ADMIN_ADDR is not set", name, envPrefix(name)))
			continue
		}
		port, _ := portOf(v)
		if tg := fmt.Sprintf("%s:%d", name, port); !targets[tg] {
			errs = append(errs, fmt.Errorf("prometheus.yml does not scrape %s", tg))
		}
		delete(targets, fmt.Sprintf("%s:%d", name, port))
	}
	for tg := range targets {
		errs = append(errs, fmt.Errorf("prometheus.yml scrapes %s, which is no admin port", tg))
	}
	prom := p.Services["prometheus"]
	mounted := map[string]string{}
	for _, c := range prom.Configs {
		mounted[c.Target] = p.Configs[c.Source].File
	}
	for _, rf := range cfg.RuleFiles {
		src, ok := mounted[rf]
		if !ok {
			errs = append(errs, fmt.Errorf("prometheus.yml loads %s, which the prometheus service does not mount", rf))
			continue
		}
		if _, err := os.Stat(src); err != nil {
			errs = append(errs, fmt.Errorf("rule file %s: %v", rf, err))
		}
	}
	return errs
}

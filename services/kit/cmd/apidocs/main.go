// Command apidocs writes the parts of docs/API.md that the API says
// itself, so that the page cannot drift from it: every RPC of every
// service with its HTTP route, and every error reason with what it means.
// It reads the compiled descriptors (gen/pb), the comments in proto/, the
// HTTP rules beside each service's proto, and checks that the OpenAPI
// documents (gen/openapi) name their service and its Bearer key.
//
// It rewrites what lies between a line "<!-- generated: NAME -->" and the
// next "<!-- end generated -->" in the page (NAME is rpcs or reasons), and
// leaves the rest, written by hand, as it is.
//
//	go run ./services/kit/cmd/apidocs            # from the repository's root: rewrite docs/API.md
//	go run ./services/kit/cmd/apidocs -check     # fail if docs/API.md is stale (make ci)
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/cqlive/alliance/gen"
	memberv1 "github.com/cqlive/alliance/gen/pb/alliance/member/v1"
	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	sessionv1 "github.com/cqlive/alliance/gen/pb/alliance/session/v1"
	typev1 "github.com/cqlive/alliance/gen/pb/alliance/type/v1"
	"github.com/cqlive/alliance/services/kit/fault"
	"github.com/cqlive/alliance/services/kit/protoconv"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// service is one service of the suite as the page lists it.
type service struct {
	name    string // as operators call it
	desc    protoreflect.ServiceDescriptor
	http    string // the HTTP rules, relative to the root
	openapi string // its OpenAPI document in gen/openapi
	reasons protoreflect.EnumDescriptor
}

var services = []service{
	{"member-registry", memberv1.File_alliance_member_v1_member_registry_proto.Services().Get(0),
		"proto/alliance/member/v1/member_registry_http.yaml", "member_registry.swagger.json", memberv1.ErrorReason(0).Descriptor()},
	{"session-scheduling", sessionv1.File_alliance_session_v1_session_scheduler_proto.Services().Get(0),
		"proto/alliance/session/v1/session_scheduler_http.yaml", "session_scheduler.swagger.json", sessionv1.ErrorReason(0).Descriptor()},
	{"sales-reporting", salesv1.File_alliance_sales_v1_sales_reporting_proto.Services().Get(0),
		"proto/alliance/sales/v1/sales_reporting_http.yaml", "sales_reporting.swagger.json", salesv1.ErrorReason(0).Descriptor()},
}

var suiteReasons = typev1.ErrorReason(0).Descriptor()

const page = "docs/API.md"

func main() {
	root := flag.String("root", ".", "the repository's root: proto/ and docs/ are below it")
	check := flag.Bool("check", false, "fail if "+page+" is not what would be written, instead of writing it")
	flag.Parse()
	if err := run(*root, *check); err != nil {
		fmt.Fprintln(os.Stderr, "apidocs:", err)
		os.Exit(1)
	}
}

func run(root string, check bool) error {
	path := filepath.Join(root, page)
	old, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	sections, err := generate(root)
	if err != nil {
		return err
	}
	out, err := splice(old, sections)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if check {
		if !bytes.Equal(out, old) {
			return fmt.Errorf("%s is stale: run `make docs` and commit it", page)
		}
		return nil
	}
	if bytes.Equal(out, old) {
		return nil
	}
	return os.WriteFile(path, out, 0o644)
}

// generate returns the text of each generated section by name.
func generate(root string) (map[string]string, error) {
	comments := map[string]string{}
	var protos []string
	err := filepath.WalkDir(filepath.Join(root, "proto"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".proto") {
			protos = append(protos, p)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	for _, p := range protos {
		if err := readComments(p, comments); err != nil {
			return nil, err
		}
	}
	if err := checkOpenAPI(); err != nil {
		return nil, err
	}
	var rpcs, reasons strings.Builder
	for _, s := range services {
		routes, err := readRoutes(filepath.Join(root, s.http))
		if err != nil {
			return nil, err
		}
		writeRPCs(&rpcs, s, routes, comments)
	}
	writeReasons(&reasons, "Every service", suiteReasons, comments)
	for _, s := range services {
		writeReasons(&reasons, s.name, s.reasons, comments)
	}
	return map[string]string{"rpcs": rpcs.String(), "reasons": reasons.String()}, nil
}

var (
	declService = regexp.MustCompile(`^\s*(service|enum|message)\s+(\w+)\s*\{`)
	declRPC     = regexp.MustCompile(`^\s*rpc\s+(\w+)\s*\(`)
	declValue   = regexp.MustCompile(`^\s*([A-Z][A-Z0-9_]*)\s*=\s*\d+`)
)

// readComments records the leading comment of each service's RPCs and of
// each enum value, keyed by full name (alliance.member.v1.MemberRegistry.GetMember,
// alliance.member.v1.ERROR_REASON_MEMBER_NOT_FOUND: enum values are
// scoped by their package, as in protobuf).
func readComments(path string, into map[string]string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var pkg, scope string
	var pending []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if c, ok := strings.CutPrefix(line, "//"); ok {
			pending = append(pending, strings.TrimSpace(c))
			continue
		}
		switch m := declService.FindStringSubmatch(line); {
		case strings.HasPrefix(line, "package "):
			pkg = strings.TrimSuffix(strings.TrimPrefix(line, "package "), ";")
		case m != nil:
			scope = pkg + "." + m[2]
		default:
			if m := declRPC.FindStringSubmatch(line); m != nil && len(pending) > 0 {
				into[scope+"."+m[1]] = strings.Join(pending, " ")
			} else if m := declValue.FindStringSubmatch(line); m != nil && len(pending) > 0 {
				into[pkg+"."+m[1]] = strings.Join(pending, " ")
			}
		}
		pending = nil
	}
	return sc.Err()
}

// route is one HTTP binding of an RPC.
type route struct{ method, path, body string }

var ruleLine = regexp.MustCompile(`^\s*-?\s*(selector|get|put|post|patch|delete|body):\s*(.*)$`)

// readRoutes reads the rules of a gRPC API Configuration file: for each
// selector its bindings (the rule's own, then its additional_bindings),
// each a verb, a path and a body.
func readRoutes(path string) (map[string][]route, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out := map[string][]route{}
	var sel string
	for _, line := range strings.Split(string(raw), "\n") {
		m := ruleLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		v := strings.Trim(strings.TrimSpace(m[2]), `"`)
		switch rs := out[sel]; m[1] {
		case "selector":
			sel = v
		case "body":
			if len(rs) == 0 {
				return nil, fmt.Errorf("%s: a body before any binding of %s", path, sel)
			}
			rs[len(rs)-1].body = v
		default:
			out[sel] = append(rs, route{method: strings.ToUpper(m[1]), path: v})
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no HTTP rules", path)
	}
	return out, nil
}

func writeRPCs(b *strings.Builder, s service, routes map[string][]route, comments map[string]string) {
	fmt.Fprintf(b, "### %s (`%s`)\n\n", s.name, s.desc.FullName())
	b.WriteString("| RPC | HTTP | what it does |\n| --- | --- | --- |\n")
	methods := s.desc.Methods()
	for i := range methods.Len() {
		m := methods.Get(i)
		in, out := string(m.Input().Name()), string(m.Output().Name())
		if m.IsStreamingClient() {
			in = "stream " + in
		}
		if m.IsStreamingServer() {
			out = "stream " + out
		}
		http := "none (gRPC only)"
		if rs := routes[string(m.FullName())]; len(rs) > 0 {
			var bindings []string
			for _, r := range rs {
				b := fmt.Sprintf("`%s %s`", r.method, r.path)
				if r.body != "" {
					b += fmt.Sprintf(" (body: `%s`)", r.body)
				}
				bindings = append(bindings, b)
			}
			http = strings.Join(bindings, "<br>")
		}
		fmt.Fprintf(b, "| `%s(%s) → %s` | %s | %s |\n", m.Name(), in, out, http, cell(comments[string(m.FullName())]))
	}
	b.WriteString("\n")
}

func writeReasons(b *strings.Builder, who string, enum protoreflect.EnumDescriptor, comments map[string]string) {
	fmt.Fprintf(b, "### %s (`%s`)\n\n", who, enum.FullName())
	b.WriteString("| reason | meaning |\n| --- | --- |\n")
	values := enum.Values()
	for i := range values.Len() {
		v := values.Get(i)
		if v.Number() == 0 {
			continue
		}
		name := protoconv.ValueName(enum, v.Number())
		meaning := comments[string(enum.ParentFile().Package())+"."+string(v.Name())]
		if meaning == "" && fault.RPCCodeName(uint32(v.Number())) == name {
			meaning = "A status of code " + name + " with no more specific reason."
		}
		fmt.Fprintf(b, "| `%s` | %s |\n", name, cell(meaning))
	}
	b.WriteString("\n")
}

// cell makes text safe inside a Markdown table cell.
func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// checkOpenAPI refuses documents that do not name their service, carry no
// version, or do not say how the Bearer key is sent: what the
// openapi_configuration files beside the protos give each document.
func checkOpenAPI() error {
	var errs []error
	for _, s := range services {
		raw, err := fs.ReadFile(gen.OpenAPI, "openapi/"+s.openapi)
		if err != nil {
			return err
		}
		var doc struct {
			Info struct {
				Title, Version string
			}
			SecurityDefinitions map[string]struct{ Type, In, Name string }
			Security            []map[string][]string
		}
		if err := json.Unmarshal(raw, &doc); err != nil {
			return fmt.Errorf("%s: %w", s.openapi, err)
		}
		bearer := doc.SecurityDefinitions["bearer"]
		switch {
		case doc.Info.Title == "" || strings.HasSuffix(doc.Info.Title, ".proto"):
			errs = append(errs, fmt.Errorf("%s: title %q names a file, not the service", s.openapi, doc.Info.Title))
		case doc.Info.Version == "" || doc.Info.Version == "version not set":
			errs = append(errs, fmt.Errorf("%s: no version", s.openapi))
		case bearer.Type != "apiKey" || bearer.In != "header" || bearer.Name != "Authorization" || len(doc.Security) == 0:
			errs = append(errs, fmt.Errorf("%s: no Bearer key in the Authorization header required", s.openapi))
		}
	}
	return errors.Join(errs...)
}

const endMarker = "<!-- end generated -->"

var beginMarker = regexp.MustCompile(`^<!-- generated: (\w+) -->$`)

// splice replaces the body of every generated section of page.
func splice(page []byte, sections map[string]string) ([]byte, error) {
	var out bytes.Buffer
	seen := map[string]bool{}
	lines := strings.SplitAfter(string(page), "\n")
	for i := 0; i < len(lines); i++ {
		out.WriteString(lines[i])
		m := beginMarker.FindStringSubmatch(strings.TrimSpace(lines[i]))
		if m == nil {
			continue
		}
		text, ok := sections[m[1]]
		if !ok {
			return nil, fmt.Errorf("unknown generated section %q", m[1])
		}
		seen[m[1]] = true
		j := i + 1
		for j < len(lines) && strings.TrimSpace(lines[j]) != endMarker {
			j++
		}
		if j == len(lines) {
			return nil, fmt.Errorf("section %q has no %s", m[1], endMarker)
		}
		out.WriteString("\n" + text)
		out.WriteString(lines[j])
		i = j
	}
	for name := range sections {
		if !seen[name] {
			return nil, fmt.Errorf("no line <!-- generated: %s -->", name)
		}
	}
	return out.Bytes(), nil
}

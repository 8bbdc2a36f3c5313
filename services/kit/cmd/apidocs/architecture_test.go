package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The page names paths four ways: from the repository's root
// (services/suite/e2e), in the short forms the page explains (kit/grpcx is
// services/kit/grpcx, registry/rules.go is member-registry's domain
// package, internal/rpc/authz.go is in each service), as bare file names
// in a section about one folder (the gateway's files, the store's), and
// as the kit's packages in the first column of its table.
var (
	// prose finds paths outside code spans, by their first folder.
	prose = regexp.MustCompile("(?:^|[\\s(|,])((?:services|proto|gen|deploy|docs|tools|kit)/[A-Za-z0-9_./-]*)")
	// span is a code span; pathLike, one that is a path or a file name.
	span     = regexp.MustCompile("`([^`\n]+)`")
	pathLike = regexp.MustCompile(`^(?:\./)?[A-Za-z0-9_.<>{}*-]+(?:/[A-Za-z0-9_.<>{}*-]*)*$`)
	fileName = regexp.MustCompile(`\.(?:go|md|proto|yaml|json|sh)$`)
)

// short maps the page's short forms to their folders.
var short = map[string]string{
	"kit/":        "services/kit/",
	"registry/":   "services/member-registry/internal/registry/",
	"scheduling/": "services/session-scheduling/internal/scheduling/",
	"ingest/":     "services/sales-reporting/internal/ingest/",
	"report/":     "services/sales-reporting/internal/report/",
	// bin/ holds what make builds, so a clean clone has none of it: a
	// binary the page names must be a command of services/suite.
	"bin/": "services/suite/cmd/",
}

var serviceDirs = []string{"services/member-registry/", "services/session-scheduling/", "services/sales-reporting/", "services/gateway/"}

// sectionDirs are the folders whose files a section names by bare name.
var sectionDirs = map[string]string{
	"kit":                 "services/kit/",
	"services/suite":      "services/suite/",
	"The gateway's files": "services/gateway/app/",
	"Storage":             "services/member-registry/internal/store/",
}

// ref is a path as the page names it, with the folders it may be in.
type ref struct {
	section, path string
	candidates    []string
}

// refs returns the paths the page names that hold no placeholder (<svc>,
// {a,b}, *), each with the places it may mean.
func refs(page string) []ref {
	var out []ref
	section := ""
	for _, line := range strings.Split(page, "\n") {
		if strings.HasPrefix(line, "#") {
			section = strings.TrimSpace(strings.TrimLeft(line, "#"))
			continue
		}
		var found []string
		for _, m := range span.FindAllStringSubmatch(line, -1) {
			if p := m[1]; pathLike.MatchString(p) && !strings.HasPrefix(p, "/") && (strings.Contains(p, "/") || fileName.MatchString(p)) {
				found = append(found, p)
			}
		}
		if section == "kit" && strings.HasPrefix(line, "| `") {
			// The kit's table: its first cell names packages (`tlsx`, `service`).
			cell, _, _ := strings.Cut(strings.TrimPrefix(line, "|"), "|")
			for _, m := range span.FindAllStringSubmatch(cell, -1) {
				if !strings.Contains(m[1], "/") {
					found = append(found, m[1]+"/")
				}
			}
		}
		outside := span.ReplaceAllString(line, " ")
		for _, m := range prose.FindAllStringSubmatch(outside, -1) {
			found = append(found, strings.TrimRight(m[1], ".,:;"))
		}
		for _, p := range found {
			p = strings.TrimPrefix(p, "./")
			if first, _, dir := strings.Cut(p, "/"); strings.ContainsAny(p, "<>{}*") || dir && strings.Contains(first, ".") {
				continue // a placeholder, or an import path (go.etcd.io/bbolt)
			}
			r := ref{section: section, path: p}
			if !strings.Contains(strings.TrimSuffix(p, "/"), "/") && fileName.MatchString(p) {
				// A bare file name: only where the section says which folder.
				dir, ok := sectionDirs[section]
				if !ok {
					continue
				}
				r.candidates = []string{dir + p}
			} else {
				r.candidates = []string{p}
				for from, to := range short {
					if strings.HasPrefix(p, from) {
						r.candidates = append(r.candidates, to+strings.TrimPrefix(p, from))
					}
				}
				if dir, ok := sectionDirs[section]; ok {
					r.candidates = append(r.candidates, dir+p)
				}
				for _, s := range serviceDirs {
					r.candidates = append(r.candidates, s+p)
				}
			}
			out = append(out, r)
		}
	}
	return out
}

// TestTheArchitecturePageNamesOnlyPathsThatExist keeps docs/ARCHITECTURE.md
// honest as the code moves: every file and folder it names exists.
func TestTheArchitecturePageNamesOnlyPathsThatExist(t *testing.T) {
	page, err := os.ReadFile(filepath.Join(root, "docs", "ARCHITECTURE.md"))
	if err != nil {
		t.Fatal(err)
	}
	all := refs(string(page))
	for _, r := range all {
		if !existsAny(r.candidates) {
			t.Errorf("docs/ARCHITECTURE.md (%s) names %s, which is none of %s", r.section, r.path, strings.Join(r.candidates, ", "))
		}
	}
	if len(all) < 100 {
		t.Fatalf("only %d paths found on the page: the patterns miss them", len(all))
	}
}

func existsAny(paths []string) bool {
	for _, p := range paths {
		if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(p))); err == nil {
			return true
		}
	}
	return false
}

func TestTheArchitecturePagesPathsAreFound(t *testing.T) {
	page := "# Storage\n" +
		"see `services/kit/boltdb`, kit/grpcx and `registry/rules.go`. Or `proto/alliance/<svc>/v1/` (x|services/suite/e2e|y)\n" +
		"`codec.go`, `Secret(\"page-token\")`, `/healthz`, `auth.X | auth.Read`, `go list ./x`, `./internal/rpc`, `go.etcd.io/bbolt`\n" +
		"## Elsewhere\n`interceptor.go` and `member.db`\n"
	var got []string
	for _, r := range refs(page) {
		got = append(got, r.section+": "+r.path)
	}
	want := "Storage: services/kit/boltdb|Storage: registry/rules.go|Storage: kit/grpcx|Storage: services/suite/e2e|Storage: codec.go|Storage: internal/rpc"
	if strings.Join(got, "|") != want {
		t.Fatalf("found %s\nwant  %s", strings.Join(got, "|"), want)
	}
	rs := refs(page)
	for _, c := range []struct {
		i    int
		want string
	}{{1, "services/member-registry/internal/registry/rules.go"}, {2, "services/kit/grpcx"}, {4, "services/member-registry/internal/store/codec.go"}, {5, "services/sales-reporting/internal/rpc"}} {
		if !strings.Contains(strings.Join(rs[c.i].candidates, " "), c.want) {
			t.Errorf("%s may be %v; want %s among them", rs[c.i].path, rs[c.i].candidates, c.want)
		}
	}
}

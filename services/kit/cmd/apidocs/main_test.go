package main

import (
	"strings"
	"testing"
)

// root is the repository's root, seen from this package.
const root = "../../../.."

// TestTheAPIPageIsCurrent is the drift check of docs/API.md: its
// generated sections are what the protos, their comments and the HTTP
// rules say now (make docs rewrites them).
func TestTheAPIPageIsCurrent(t *testing.T) {
	if err := run(root, true); err != nil {
		t.Fatal(err)
	}
}

func TestTheGeneratedPartsNameEveryRPCAndReason(t *testing.T) {
	sections, err := generate(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range services {
		for i := range s.desc.Methods().Len() {
			if m := s.desc.Methods().Get(i); !strings.Contains(sections["rpcs"], "`"+string(m.Name())+"(") {
				t.Errorf("%s is not listed", m.FullName())
			}
		}
	}
	for _, want := range []string{"`GET /v1/{name=members/*}`", "`PERMISSION_DENIED`", "`STUDIO_DOUBLE_BOOKED`", "`EXTERNAL_ID_REUSED`", "none (gRPC only)"} {
		if !strings.Contains(sections["rpcs"]+sections["reasons"], want) {
			t.Errorf("%s is missing", want)
		}
	}
}

func TestSplice(t *testing.T) {
	page := "# t\n<!-- generated: rpcs -->\nold\n<!-- end generated -->\nhand\n"
	got, err := splice([]byte(page), map[string]string{"rpcs": "new\n"})
	if want := "# t\n<!-- generated: rpcs -->\n\nnew\n<!-- end generated -->\nhand\n"; err != nil || string(got) != want {
		t.Fatalf("%q, %v; want %q", got, err, want)
	}
	for name, page := range map[string]string{
		"a section without its end": "<!-- generated: rpcs -->\nold\n",
		"an unknown section":        "<!-- generated: nope -->\n<!-- end generated -->\n",
		"a section that is missing": "# only hand-written text\n",
	} {
		if _, err := splice([]byte(page), map[string]string{"rpcs": "x\n"}); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

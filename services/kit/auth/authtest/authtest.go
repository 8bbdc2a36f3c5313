// Package authtest holds the check every service's tests make of its
// authorization Policy.
package authtest

import (
	"testing"

	"github.com/cqlive/alliance/services/kit/auth"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Covers fails t unless p has a complete rule (who may call, and whether
// the call reads or writes) for every RPC of sd, so that an RPC added
// without one fails its service's tests rather than being refused, or
// let through, at run time.
func Covers(t testing.TB, p auth.Policy, sd protoreflect.ServiceDescriptor) {
	t.Helper()
	if missing := p.Uncovered(sd); len(missing) > 0 {
		t.Fatalf("RPCs without an authorization rule: %v", missing)
	}
}

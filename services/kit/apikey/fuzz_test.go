package apikey

import (
	"strings"
	"testing"
)

// FuzzServiceToken checks the service-token verifier against any input:
// Verify never panics, accepts a token only as Token spells it for the
// name it returns, and accepts every token Token makes for a name.
// testdata/fuzz/FuzzServiceToken keeps the inputs that broke it once.
func FuzzServiceToken(f *testing.F) {
	s := ServiceSecret("0123456789abcdef0123456789abcdef")
	f.Add(s.Token("session-scheduling"), "sales-reporting")
	f.Add("svc_gateway_00", "gateway")
	f.Add("svc__", "a_b")
	f.Fuzz(func(t *testing.T, token, name string) {
		if got, ok := s.Verify(token); ok && token != s.Token(got) {
			t.Fatalf("Verify accepted %q as %q, whose token is %q", token, got, s.Token(got))
		}
		if name == "" {
			return // no service is nameless
		}
		if got, ok := s.Verify(s.Token(name)); !ok || got != name {
			t.Fatalf("Verify(Token(%q)) = %q, %v", name, got, ok)
		}
		if _, ok := ServiceSecret("another-secret-another-secret-xx").Verify(s.Token(name)); ok {
			t.Fatalf("a token of another deployment was accepted for %q", name)
		}
		if forged := strings.Replace(s.Token(name), name, name+"x", 1); forged != s.Token(name+"x") {
			if _, ok := s.Verify(forged); ok {
				t.Fatalf("a renamed token %q was accepted", forged)
			}
		}
	})
}

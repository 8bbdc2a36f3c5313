package auth

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

func TestAdminKeysFile(t *testing.T) {
	dir := t.TempDir()
	key := NewAdminKey()
	path := filepath.Join(dir, "admin.key")
	os.WriteFile(path, []byte("# staff\n"+key+"\n"), 0o644)
	if _, err := LoadAdminKeys(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("a world-readable key file was accepted: %v", err)
	}
	os.Chmod(path, 0o600)
	ak, err := LoadAdminKeys(path)
	if err != nil {
		t.Fatal(err)
	}
	if !ak.Match(key) || ak.Match(key+"x") || ak.Match(NewAdminKey()) || ak.Match("") {
		t.Fatal("admin key matching is wrong")
	}
}

func TestFlagsMakeTheFirstKeyOnce(t *testing.T) {
	dir := t.TempDir()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	first, secret, err := (Flags{}).Load(dir, log)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, AdminKeyFileName))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("admin key file: %v, mode %v; want 0600", err, fi.Mode().Perm())
	}
	raw, _ := os.ReadFile(filepath.Join(dir, AdminKeyFileName))
	if !first.Match(strings.TrimSpace(string(raw))) || len(secret) < 32 {
		t.Fatal("the made key does not authenticate, or the secret is short")
	}
	again, secret2, err := (Flags{}).Load(dir, log)
	if err != nil || !again.Match(strings.TrimSpace(string(raw))) || string(secret) != string(secret2) {
		t.Fatalf("a second start made new credentials: %v", err)
	}
}

func TestServiceTokens(t *testing.T) {
	s := ServiceSecret("0123456789abcdef0123456789abcdef")
	tok := s.Token("session-scheduling")
	if name, ok := s.Verify(tok); !ok || name != "session-scheduling" {
		t.Fatalf("Verify(own token) = %q, %v", name, ok)
	}
	forged := strings.Replace(tok, "session-scheduling", "sales-reporting", 1)
	if _, ok := s.Verify(forged); ok {
		t.Fatal("a token renamed to another service was accepted")
	}
	if _, ok := ServiceSecret("another-secret-another-secret-xx").Verify(tok); ok {
		t.Fatal("a token of another deployment was accepted")
	}
}

func TestMemberKeyFormat(t *testing.T) {
	id, key, secret := NewMemberKey()
	gotID, gotSecret, ok := ParseMemberKey(key)
	if !ok || gotID != id || gotSecret != secret {
		t.Fatalf("ParseMemberKey(%q) = %q, %q, %v", key, gotID, gotSecret, ok)
	}
	for _, bad := range []string{"", "mk_", "mk__x", "mk_id_", "adm_xyz", "Bearer mk_a_b"} {
		if _, _, ok := ParseMemberKey(bad); ok {
			t.Errorf("ParseMemberKey(%q) accepted", bad)
		}
	}
}

func TestPolicy(t *testing.T) {
	p := Policy{"/s.S/Admin": AdminOnly, "/s.S/Read": Members, "/s.S/Internal": TrustedOnly}
	admin := Principal{Kind: Admin}
	member := Principal{Kind: Member, Member: "members/a"}
	service := Principal{Kind: Service, Service: "x"}
	cases := []struct {
		name   string
		method string
		who    Principal
		code   codes.Code
	}{
		{"health needs no key", "/grpc.health.v1.Health/Check", Principal{}, codes.OK},
		{"reflection needs an admin", "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo", member, codes.PermissionDenied},
		{"reflection works for an admin", "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo", admin, codes.OK},
		{"no key is UNAUTHENTICATED", "/s.S/Read", Principal{}, codes.Unauthenticated},
		{"a member may call a members method", "/s.S/Read", member, codes.OK},
		{"a member may not call an admin method", "/s.S/Admin", member, codes.PermissionDenied},
		{"a service may not call an admin method", "/s.S/Admin", service, codes.PermissionDenied},
		{"a service may call an internal method", "/s.S/Internal", service, codes.OK},
		{"a member may not call an internal method", "/s.S/Internal", member, codes.PermissionDenied},
		{"a method without a rule is denied, even to admins", "/s.S/New", admin, codes.PermissionDenied},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := status.Code(p.Check(c.method, c.who)); got != c.code {
				t.Fatalf("code = %v, want %v", got, c.code)
			}
		})
	}
}

func TestAuthenticate(t *testing.T) {
	key := NewAdminKey()
	secret := ServiceSecret("0123456789abcdef0123456789abcdef")
	a := &Authenticator{Admin: NewAdminKeysFor(key), Services: secret}
	ctxWith := func(v string) context.Context {
		return metadata.NewIncomingContext(context.Background(), metadata.Pairs("authorization", v))
	}
	if p, err := a.Authenticate(ctxWith("x"), bearer(ctxWith("Bearer "+key))); err != nil || p.Kind != Admin {
		t.Fatalf("admin key: %v %v", p, err)
	}
	if p, err := a.Authenticate(context.Background(), bearer(ctxWith("Bearer "+secret.Token("gateway")))); err != nil || p.Kind != Service || p.Service != "gateway" {
		t.Fatalf("service token: %v %v", p, err)
	}
	for _, bad := range []string{"Bearer adm_wrong", "Basic abc", "Bearer mk_a_b", "Bearer "} {
		if _, err := a.Authenticate(context.Background(), bearer(ctxWith(bad))); status.Code(err) != codes.Unauthenticated {
			t.Errorf("%q: %v, want UNAUTHENTICATED", bad, err)
		}
	}
}

func TestRefusalsCarryErrorInfo(t *testing.T) {
	p := Policy{"/s.S/Admin": AdminOnly}
	for name, err := range map[string]error{
		"no key":      p.Check("/s.S/Admin", Principal{}),
		"not allowed": p.Check("/s.S/Admin", Principal{Kind: Member}),
	} {
		st := status.Convert(err)
		if len(st.Details()) == 0 {
			t.Fatalf("%s: %v has no ErrorInfo", name, err)
		}
	}
}

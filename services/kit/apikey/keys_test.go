package apikey

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
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

func TestServiceSecretFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "service.secret")
	secret := strings.Repeat("s", 32)
	os.WriteFile(path, []byte(secret+"\n"), 0o640)
	if _, err := LoadServiceSecret(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("a group-readable secret file was accepted: %v", err)
	}
	os.Chmod(path, 0o600)
	s, err := LoadServiceSecret(path)
	if err != nil || string(s) != secret {
		t.Fatalf("LoadServiceSecret = %q, %v; want the secret without its newline", s, err)
	}
	if _, err := LoadServiceSecret(filepath.Join(t.TempDir(), "missing")); err == nil || !strings.Contains(err.Error(), "service secret file") {
		t.Fatalf("a missing file: %v, want an error naming the service secret file", err)
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

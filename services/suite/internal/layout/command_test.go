package layout

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAnAdminCallerReadsItsKeyAndTLSFlags(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "admin.key")
	if err := os.WriteFile(keyFile, []byte("# the admin key\n\nadm_123\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		args    []string
		wantKey string
		wantErr string
	}{
		{"the key is the first line that is not a comment", []string{"-admin-key-file", keyFile}, "adm_123", ""},
		{"a missing key file says it is the admin key", []string{"-admin-key-file", filepath.Join(dir, "none")}, "", "admin key: open "},
		{"a missing CA file is an error", []string{"-admin-key-file", keyFile, "-tls-ca", filepath.Join(dir, "ca.pem")}, "", "ca.pem"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var a AdminCaller
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			a.BindFlags(fs.StringVar, "admin key")
			if err := fs.Parse(c.args); err != nil {
				t.Fatal(err)
			}
			key, transport, err := a.Open()
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err %v; want one containing %q", err, c.wantErr)
				}
				return
			}
			if err != nil || key != c.wantKey || transport == nil {
				t.Fatalf("key %q, transport %v, err %v; want %q and a transport", key, transport, err, c.wantKey)
			}
		})
	}
}

func TestAnAdminCallerDefaultsToTheKeyMakeRunMakes(t *testing.T) {
	var a AdminCaller
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	a.BindFlags(fs.StringVar, "admin key")
	if err := fs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	if a.KeyFile != "data/admin.key" || a.TLS.CAFile != "" {
		t.Fatalf("defaults %+v", a)
	}
}

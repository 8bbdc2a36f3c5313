package apikey

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/cqlive/alliance/services/kit/config"
)

// Flags name the files of every service's credentials.
type Flags struct {
	AdminKeyFile      string
	ServiceSecretFile string
}

// Default file names inside the data folder.
const (
	AdminKeyFileName      = "admin.key"
	ServiceSecretFileName = "service.secret"
)

// BindFlags defines -admin-key-file and -service-secret-file.
func (f *Flags) BindFlags(s *config.Set) {
	s.String(&f.AdminKeyFile, "admin-key-file", "", "file of admin API keys, one per line, mode 0600 (default <data-dir>/admin.key, made on first start)")
	s.String(&f.ServiceSecretFile, "service-secret-file", "", "the suite's internal secret shared by its services, mode 0600 (default <data-dir>/service.secret, made on first start)")
}

// Load reads the admin keys and the service secret, making either file in
// dataDir on first start when no path was given. A new admin key is
// written with mode 0600 and its path is logged: that is how an operator
// finds the first key.
func (f Flags) Load(dataDir string, log *slog.Logger) (*AdminKeys, ServiceSecret, error) {
	adminFile := f.AdminKeyFile
	if adminFile == "" {
		adminFile = filepath.Join(dataDir, AdminKeyFileName)
		made, err := EnsureFile(adminFile, NewAdminKey()+"\n")
		if err != nil {
			return nil, nil, err
		}
		if made {
			log.Warn("made a new admin API key; keep it secret", "file", adminFile)
		}
	}
	admin, err := LoadAdminKeys(adminFile)
	if err != nil {
		return nil, nil, err
	}
	secretFile := f.ServiceSecretFile
	if secretFile == "" {
		secretFile = filepath.Join(dataDir, ServiceSecretFileName)
		if _, err := EnsureFile(secretFile, RandomSecret(32)+"\n"); err != nil {
			return nil, nil, err
		}
	}
	secret, err := LoadServiceSecret(secretFile)
	if err != nil {
		return nil, nil, err
	}
	return admin, secret, nil
}

// EnsureFile writes content to path with mode 0600 unless the file exists;
// made says whether it wrote.
func EnsureFile(path, content string) (made bool, err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return false, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("create %s: %w", path, err)
	}
	if _, err := f.WriteString(content); err != nil {
		f.Close()
		return false, err
	}
	return true, f.Close()
}

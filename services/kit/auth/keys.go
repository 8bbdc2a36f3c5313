package auth

import "github.com/cqlive/alliance/services/kit/apikey"

// The credentials a service configures auth with are kit/apikey's. These
// names let a service (and its tests) set up authentication with one
// import; member-registry's domain, which issues keys, uses kit/apikey
// itself and so imports no gRPC.
type (
	AdminKeys     = apikey.AdminKeys
	ServiceSecret = apikey.ServiceSecret
	Flags         = apikey.Flags
)

// Default file names inside the data folder (see Flags).
const (
	AdminKeyFileName      = apikey.AdminKeyFileName
	ServiceSecretFileName = apikey.ServiceSecretFileName
	BootstrapKeyPrefix    = apikey.BootstrapKeyPrefix
)

// NewAdminKey is apikey.NewAdminKey.
func NewAdminKey() string { return apikey.NewAdminKey() }

// NewAdminKeysFor is apikey.NewAdminKeysFor.
func NewAdminKeysFor(keys ...string) *AdminKeys { return apikey.NewAdminKeysFor(keys...) }

// NewMemberKey is apikey.NewMemberKey.
func NewMemberKey() (keyID, key, secret string) { return apikey.NewMemberKey() }

// ParseMemberKey is apikey.ParseMemberKey.
func ParseMemberKey(key string) (keyID, secret string, ok bool) { return apikey.ParseMemberKey(key) }

// RandomSecret is apikey.RandomSecret.
func RandomSecret(n int) string { return apikey.RandomSecret(n) }

// Hash is apikey.Hash.
func Hash(secret string) []byte { return apikey.Hash(secret) }

// BootstrapKeyID is apikey.BootstrapKeyID.
func BootstrapKeyID(key string) string { return apikey.BootstrapKeyID(key) }

// EnsureFile is apikey.EnsureFile.
func EnsureFile(path, content string) (bool, error) { return apikey.EnsureFile(path, content) }

package registry

import (
	"time"
	"unicode/utf8"

	"github.com/cqlive/alliance/services/kit/auth"
	"github.com/cqlive/alliance/services/kit/fault"
)

// APIKey is a member's key. Only the hash of its secret is kept.
type APIKey struct {
	ID          string    `json:"id"`
	MemberID    string    `json:"member_id"`
	DisplayName string    `json:"display_name"`
	Hash        []byte    `json:"hash"`
	CreateTime  time.Time `json:"create_time"`
	RevokeTime  time.Time `json:"revoke_time,omitzero"`
}

// Revoked reports whether the key was revoked.
func (k *APIKey) Revoked() bool { return !k.RevokeTime.IsZero() }

// Name is members/{member}/apiKeys/{key}.
func (k *APIKey) Name() string { return MemberName(k.MemberID) + "/apiKeys/" + k.ID }

// ReasonAPIKeyNotFound and friends are the API-key reasons.
const (
	ReasonAPIKeyNotFound   = "API_KEY_NOT_FOUND"
	ReasonAPIKeyRevoked    = "API_KEY_REVOKED"
	ReasonMemberNotAllowed = "MEMBER_NOT_ACTIVE"
)

// CreateAPIKey issues a key for a member that is not WITHDRAWN. It returns
// the key record and the full key, which is never available again.
func (s *Service) CreateAPIKey(memberID, displayName string) (*APIKey, string, error) {
	if n := utf8.RuneCountInString(displayName); n > 200 {
		return nil, "", fault.InvalidField("api_key.display_name", "must have at most 200 characters")
	}
	var out *APIKey
	var full string
	err := s.repo.Update(func(tx Tx) error {
		m, err := getMember(tx, memberID)
		if err != nil {
			return err
		}
		if m.State == StateWithdrawn {
			return fault.New(fault.FailedPrecondition, ReasonMemberWithdrawn, "%s is withdrawn; it gets no new keys", m.Name())
		}
		id, key, secret := auth.NewMemberKey()
		k := &APIKey{ID: id, MemberID: memberID, DisplayName: displayName, Hash: auth.Hash(secret), CreateTime: s.stamp()}
		if err := tx.PutAPIKey(k); err != nil {
			return err
		}
		out, full = k, key
		return nil
	})
	return out, full, err
}

// ListAPIKeys lists a member's keys in key-id order after the cursor.
func (s *Service) ListAPIKeys(memberID, after string, limit int) ([]*APIKey, string, error) {
	var out []*APIKey
	next := ""
	err := s.repo.View(func(tx Tx) error {
		if _, err := getMember(tx, memberID); err != nil {
			return err
		}
		return tx.APIKeys(memberID, after, func(k *APIKey) bool {
			if len(out) == limit {
				next = out[len(out)-1].ID
				return false
			}
			out = append(out, k)
			return true
		})
	})
	return out, next, err
}

// RevokeAPIKey revokes a key of a member; revoking twice is a no-op.
func (s *Service) RevokeAPIKey(memberID, keyID string) (*APIKey, error) {
	var out *APIKey
	err := s.repo.Update(func(tx Tx) error {
		k, err := tx.APIKey(keyID)
		if err != nil {
			return err
		}
		if k == nil || k.MemberID != memberID {
			name := MemberName(memberID) + "/apiKeys/" + keyID
			return fault.New(fault.NotFound, ReasonAPIKeyNotFound, "API key %q not found", name).With("name", name)
		}
		if !k.Revoked() {
			k.RevokeTime = s.stamp()
			if err := tx.PutAPIKey(k); err != nil {
				return err
			}
		}
		out = k
		return nil
	})
	return out, err
}

// AuthenticateAPIKey returns the member of a valid key. Every failure is
// the same UNAUTHENTICATED, so a caller learns nothing about which keys exist.
func (s *Service) AuthenticateAPIKey(keyID, secret string) (*Member, *APIKey, error) {
	var m *Member
	var key *APIKey
	bad := fault.New(fault.Unauthenticated, "INVALID_API_KEY", "missing or invalid API key")
	err := s.repo.View(func(tx Tx) error {
		k, err := tx.APIKey(keyID)
		if err != nil {
			return err
		}
		// Compare against a fixed hash when the id is unknown, so the time
		// taken does not tell known ids from unknown ones.
		stored := unknownKeyHash
		if k != nil {
			stored = k.Hash
		}
		if !auth.Equal(auth.Hash(secret), stored) || k == nil || k.Revoked() {
			return bad
		}
		if m, err = tx.Member(k.MemberID); err != nil {
			return err
		}
		if m == nil || m.State == StateWithdrawn {
			return bad
		}
		key = k
		return nil
	})
	return m, key, err
}

var unknownKeyHash = auth.Hash("no such key")

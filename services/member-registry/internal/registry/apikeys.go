package registry

import (
	"context"
	"github.com/cqlive/alliance/services/kit/members"
	"time"
	"unicode/utf8"

	"github.com/cqlive/alliance/services/kit/apikey"
	"github.com/cqlive/alliance/services/kit/fault"
)

// Role of a staff key. Member keys have none.
type Role int

const (
	RoleNone Role = iota
	// RoleAdmin may do everything.
	RoleAdmin
	// RoleReadOnly (STAFF_READONLY) may read everything and write nothing.
	RoleReadOnly
)

// APIKey is a key of a member, or (MemberID "") a named staff key of a
// person of the alliance's staff, with a role. Only the hash of its secret
// is kept.
type APIKey struct {
	ID          string
	MemberID    string
	DisplayName string
	Role        Role
	Hash        []byte
	CreateTime  time.Time
	RevokeTime  time.Time
}

// Revoked reports whether the key was revoked.
func (k *APIKey) Revoked() bool { return !k.RevokeTime.IsZero() }

// Staff reports whether k is a staff key.
func (k *APIKey) Staff() bool { return k.MemberID == "" }

// Name is members/{member}/apiKeys/{key}, or alliance/apiKeys/{key}.
func (k *APIKey) Name() string { return keyName(k.MemberID, k.ID) }

// Alliance is the parent of the staff keys: the alliance itself.
const Alliance = "alliance"

func keyName(memberID, keyID string) string {
	if memberID == "" {
		return Alliance + "/apiKeys/" + keyID
	}
	return MemberName(memberID) + "/apiKeys/" + keyID
}

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
		if m.State == members.Withdrawn {
			return fault.New(fault.FailedPrecondition, ReasonMemberWithdrawn, "%s is withdrawn; it gets no new keys", m.Name())
		}
		out, full, err = s.newKey(tx, memberID, displayName, RoleNone)
		return err
	})
	return out, full, err
}

// CreateStaffKey issues a named key for a person of the alliance's staff:
// displayName is the person, role what the key may do. Only admins issue
// staff keys.
func (s *Service) CreateStaffKey(ctx context.Context, displayName string, role Role) (*APIKey, string, error) {
	if err := mayManageStaff(ctx); err != nil {
		return nil, "", err
	}
	var v fault.Invalid
	checkDisplayName(&v, "api_key.display_name", displayName)
	if role != RoleAdmin && role != RoleReadOnly {
		v.Add("api_key.role", "a staff key needs a role: ADMIN or STAFF_READONLY")
	}
	if err := v.Err(); err != nil {
		return nil, "", err
	}
	var out *APIKey
	var full string
	err := s.repo.Update(func(tx Tx) error {
		var err error
		out, full, err = s.newKey(tx, "", displayName, role)
		return err
	})
	return out, full, err
}

// newKey stores a new key. Member and staff keys have one shape, so the
// other services check both with one AuthenticateApiKey call.
func (s *Service) newKey(tx Tx, memberID, displayName string, role Role) (*APIKey, string, error) {
	id, key, secret := apikey.NewMemberKey()
	k := &APIKey{ID: id, MemberID: memberID, DisplayName: displayName, Role: role, Hash: apikey.Hash(secret), CreateTime: s.stamp()}
	if err := tx.PutAPIKey(k); err != nil {
		return nil, "", err
	}
	return k, key, nil
}

// ListAPIKeys lists a member's keys (memberID "": the staff keys) in
// key-id order after the cursor: a member's own, or any for a trusted
// caller; the staff keys for admins only.
func (s *Service) ListAPIKeys(ctx context.Context, memberID, after string, limit int) ([]*APIKey, string, error) {
	if err := mayManageKeys(ctx, memberID); err != nil {
		return nil, "", err
	}
	pg := page[*APIKey]{limit: limit, cursor: func(k *APIKey) string { return k.ID }}
	err := s.repo.View(func(tx Tx) error {
		if memberID != "" {
			if _, err := getMember(tx, memberID); err != nil {
				return err
			}
		}
		return tx.APIKeys(memberID, after, pg.add)
	})
	return pg.out, pg.next, err
}

// RevokeAPIKey revokes a key of a member (memberID "": a staff key), by
// whoever may list it; revoking twice is a no-op. The registry checks its
// store on every call, so the key is refused here from the next call on.
func (s *Service) RevokeAPIKey(ctx context.Context, memberID, keyID string) (*APIKey, error) {
	if err := mayManageKeys(ctx, memberID); err != nil {
		return nil, err
	}
	return inTx(s.repo.Update, func(tx Tx) (*APIKey, error) {
		k, err := tx.APIKey(keyID)
		if err != nil {
			return nil, err
		}
		if k == nil || k.MemberID != memberID {
			name := keyName(memberID, keyID)
			return nil, fault.New(fault.NotFound, fault.ReasonAPIKeyNotFound, "API key %q not found", name).With("name", name)
		}
		if !k.Revoked() {
			k.RevokeTime = s.stamp()
			if err := tx.PutAPIKey(k); err != nil {
				return nil, err
			}
		}
		return k, nil
	})
}

// AuthenticateAPIKey returns the key and, for a member's key, its member.
// Every failure is UNAUTHENTICATED with one message; only the reason tells
// an unknown key id (API_KEY_NOT_FOUND, which lets the other services
// refuse any secret under that id without asking again) from a wrong,
// revoked or withdrawn one (INVALID_API_KEY). Only the suite's services
// see the reason: the authentication of a call answers every bad key
// alike. A WITHDRAWN member's keys fail; a SUSPENDED member's succeed (its
// keys may still read: the caller's policy refuses its writes).
func (s *Service) AuthenticateAPIKey(keyID, secret string) (*Member, *APIKey, error) {
	var m *Member
	var key *APIKey
	bad := fault.New(fault.Unauthenticated, fault.ReasonInvalidAPIKey, "missing or invalid API key")
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
		match := apikey.Equal(apikey.Hash(secret), stored)
		if k == nil {
			return fault.New(fault.Unauthenticated, fault.ReasonAPIKeyNotFound, "missing or invalid API key")
		}
		if !match || k.Revoked() {
			return bad
		}
		if k.Staff() {
			if k.Role != RoleAdmin && k.Role != RoleReadOnly {
				return bad
			}
			key = k
			return nil
		}
		if k.Role != RoleNone {
			return bad
		}
		if m, err = tx.Member(k.MemberID); err != nil {
			return err
		}
		if m == nil || m.State == members.Withdrawn {
			return bad
		}
		key = k
		return nil
	})
	return m, key, err
}

var unknownKeyHash = apikey.Hash("no such key")

// StaffKey returns the staff key with the given id (revoked or not), or
// NOT_FOUND API_KEY_NOT_FOUND when there is no staff key of that id.
func (s *Service) StaffKey(keyID string) (*APIKey, error) {
	var key *APIKey
	err := s.repo.View(func(tx Tx) error {
		k, err := tx.APIKey(keyID)
		if err == nil && k != nil && k.Staff() {
			key = k
		}
		return err
	})
	if err == nil && key == nil {
		err = fault.New(fault.NotFound, fault.ReasonAPIKeyNotFound, "no staff key %s", keyName("", keyID))
	}
	return key, err
}

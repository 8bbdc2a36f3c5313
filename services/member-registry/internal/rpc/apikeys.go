package rpc

import (
	"context"
	"strings"

	memberv1 "github.com/cqlive/alliance/gen/pb/alliance/member/v1"
	"github.com/cqlive/alliance/services/kit/apikey"
	"github.com/cqlive/alliance/services/kit/auth"
	"github.com/cqlive/alliance/services/kit/fault"
	"github.com/cqlive/alliance/services/kit/page"
	"github.com/cqlive/alliance/services/kit/protoconv"
	"github.com/cqlive/alliance/services/member-registry/internal/registry"
)

var roles = map[registry.Role]memberv1.ApiKeyRole{
	registry.RoleNone:     memberv1.ApiKeyRole_API_KEY_ROLE_UNSPECIFIED,
	registry.RoleAdmin:    memberv1.ApiKeyRole_API_KEY_ROLE_ADMIN,
	registry.RoleReadOnly: memberv1.ApiKeyRole_API_KEY_ROLE_STAFF_READONLY,
}

func roleFromProto(r memberv1.ApiKeyRole) registry.Role {
	for k, v := range roles {
		if v == r {
			return k
		}
	}
	return -1 // not a role: the domain refuses it
}

func apiKeyToProto(k *registry.APIKey) *memberv1.ApiKey {
	out := &memberv1.ApiKey{
		Name:        k.Name(),
		DisplayName: k.DisplayName,
		State:       memberv1.ApiKeyState_API_KEY_STATE_ACTIVE,
		CreateTime:  protoconv.Timestamp(k.CreateTime),
		Role:        roles[k.Role],
	}
	if k.Revoked() {
		out.State = memberv1.ApiKeyState_API_KEY_STATE_REVOKED
		out.RevokeTime = protoconv.Timestamp(k.RevokeTime)
	}
	return out
}

// keyParent reads the parent of a create or list: parent, or its older
// spelling member (members only). It returns the member id, "" for the
// alliance's staff keys.
func keyParent(parent, member string) (memberID, field string, err error) {
	field, name := "parent", parent
	switch {
	case parent == "":
		field, name = "member", member
	case member != "" && member != parent:
		return "", "parent", fault.InvalidField("parent", "names %q but member names %q; send parent only", parent, member)
	}
	if name == registry.Alliance && field == "parent" {
		return "", field, nil
	}
	id := registry.ParseMemberName(name)
	if id == "" {
		return "", field, fault.InvalidField(field, "must be a member name members/{member}, or \"alliance\" for a staff key, got %q", name)
	}
	return id, field, nil
}

// apiKeyName splits members/{m}/apiKeys/{k} or alliance/apiKeys/{k}; the
// member id is "" for a staff key.
func apiKeyName(field, name string) (string, string, error) {
	parts := strings.Split(name, "/")
	switch {
	case len(parts) == 3 && parts[0] == registry.Alliance && parts[1] == "apiKeys" && parts[2] != "":
		return "", parts[2], nil
	case len(parts) == 4 && parts[0] == "members" && parts[2] == "apiKeys" && parts[1] != "" && parts[3] != "":
		return parts[1], parts[3], nil
	}
	return "", "", fault.InvalidField(field, "must be an API key name members/{member}/apiKeys/{key} or alliance/apiKeys/{key}, got %q", name)
}

func (s *Server) CreateApiKey(ctx context.Context, req *memberv1.CreateApiKeyRequest) (*memberv1.CreateApiKeyResponse, error) {
	id, _, err := keyParent(req.GetParent(), req.GetMember())
	if err != nil {
		return nil, fail(ctx, err)
	}
	var k *registry.APIKey
	var key string
	if id == "" {
		k, key, err = s.svc.CreateStaffKey(withCaller(ctx), req.GetApiKey().GetDisplayName(), roleFromProto(req.GetApiKey().GetRole()))
	} else {
		if req.GetApiKey().GetRole() != memberv1.ApiKeyRole_API_KEY_ROLE_UNSPECIFIED {
			return nil, fail(ctx, fault.InvalidField("api_key.role", "only staff keys (parent \"alliance\") have a role"))
		}
		k, key, err = s.svc.CreateAPIKey(id, req.GetApiKey().GetDisplayName())
	}
	if err != nil {
		return nil, fail(ctx, err)
	}
	return &memberv1.CreateApiKeyResponse{ApiKey: apiKeyToProto(k), Key: key}, nil
}

func (s *Server) ListApiKeys(ctx context.Context, req *memberv1.ListApiKeysRequest) (*memberv1.ListApiKeysResponse, error) {
	id, _, err := keyParent(req.GetParent(), req.GetMember())
	if err != nil {
		return nil, fail(ctx, err)
	}
	size, err := page.Size(req.GetPageSize())
	if err != nil {
		return nil, fail(ctx, err)
	}
	query := "api_keys|" + registry.MemberName(id)
	if id == "" {
		query = "api_keys|" + registry.Alliance
	}
	cursor, err := s.tokens.Decode(req.GetPageToken(), query)
	if err != nil {
		return nil, fail(ctx, err)
	}
	keys, next, err := s.svc.ListAPIKeys(withCaller(ctx), id, string(cursor), size)
	if err != nil {
		return nil, fail(ctx, err)
	}
	return &memberv1.ListApiKeysResponse{ApiKeys: protoconv.List(keys, apiKeyToProto), NextPageToken: s.nextToken(query, next)}, nil
}

func (s *Server) RevokeApiKey(ctx context.Context, req *memberv1.RevokeApiKeyRequest) (*memberv1.ApiKey, error) {
	m, k, err := apiKeyName("name", req.GetName())
	if err != nil {
		return nil, fail(ctx, err)
	}
	key, err := s.svc.RevokeAPIKey(withCaller(ctx), m, k)
	if err != nil {
		return nil, fail(ctx, err)
	}
	return apiKeyToProto(key), nil
}

// authenticate is the registry's answer about a key, the same for its own
// interceptor (LocalKeys) and for the other services.
func authenticate(svc *registry.Service, keyID, secret string) (*memberv1.AuthenticateApiKeyResponse, error) {
	m, k, err := svc.AuthenticateAPIKey(keyID, secret)
	if err != nil {
		return nil, err
	}
	if k.Staff() {
		return &memberv1.AuthenticateApiKeyResponse{ApiKey: k.Name(), Role: roles[k.Role]}, nil
	}
	return &memberv1.AuthenticateApiKeyResponse{
		Member: m.Name(), Kind: memberv1.MemberKind(m.Kind), District: m.District,
		State: memberv1.MemberState(m.State), ApiKey: k.Name(),
	}, nil
}

func (s *Server) AuthenticateApiKey(ctx context.Context, req *memberv1.AuthenticateApiKeyRequest) (*memberv1.AuthenticateApiKeyResponse, error) {
	keyID, secret, ok := apikey.ParseMemberKey(req.GetKey())
	if !ok {
		return nil, fail(ctx, fault.New(fault.Unauthenticated, fault.ReasonInvalidAPIKey, "missing or invalid API key"))
	}
	resp, err := authenticate(s.svc, keyID, secret)
	if err != nil {
		return nil, fail(ctx, err)
	}
	return resp, nil
}

// LocalKeys checks registry keys against the registry's own store, so a
// revoked key is refused from the next call on. It reads the answer the
// other services get, through the same auth.FromAuthentication.
func LocalKeys(svc *registry.Service) auth.MemberKeys { return localKeys{svc} }

type localKeys struct{ svc *registry.Service }

func (l localKeys) Lookup(_ context.Context, keyID, secret string) (auth.Principal, error) {
	resp, err := authenticate(l.svc, keyID, secret)
	if err != nil {
		return auth.Principal{}, err
	}
	return auth.FromAuthentication(keyID, resp)
}

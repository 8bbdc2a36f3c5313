package rpc

import (
	"context"
	"strings"

	memberv1 "github.com/cqlive/alliance/gen/pb/alliance/member/v1"
	"github.com/cqlive/alliance/services/kit/auth"
	"github.com/cqlive/alliance/services/kit/fault"
	"github.com/cqlive/alliance/services/kit/page"
	"github.com/cqlive/alliance/services/member-registry/internal/registry"
	"google.golang.org/protobuf/types/known/timestamppb"
)

func apiKeyToProto(k *registry.APIKey) *memberv1.ApiKey {
	out := &memberv1.ApiKey{
		Name:        k.Name(),
		DisplayName: k.DisplayName,
		State:       memberv1.ApiKeyState_API_KEY_STATE_ACTIVE,
		CreateTime:  timestamppb.New(k.CreateTime),
	}
	if k.Revoked() {
		out.State = memberv1.ApiKeyState_API_KEY_STATE_REVOKED
		out.RevokeTime = timestamppb.New(k.RevokeTime)
	}
	return out
}

// apiKeyName splits members/{m}/apiKeys/{k}.
func apiKeyName(field, name string) (string, string, error) {
	parts := strings.Split(name, "/")
	if len(parts) != 4 || parts[0] != "members" || parts[2] != "apiKeys" || parts[1] == "" || parts[3] == "" {
		return "", "", fault.InvalidField(field, "must be an API key name members/{member}/apiKeys/{key}, got %q", name)
	}
	return parts[1], parts[3], nil
}

func (s *Server) CreateApiKey(ctx context.Context, req *memberv1.CreateApiKeyRequest) (*memberv1.CreateApiKeyResponse, error) {
	id, err := memberID("member", req.GetMember())
	if err != nil {
		return nil, fail(ctx, err)
	}
	k, key, err := s.svc.CreateAPIKey(id, req.GetApiKey().GetDisplayName())
	if err != nil {
		return nil, fail(ctx, err)
	}
	return &memberv1.CreateApiKeyResponse{ApiKey: apiKeyToProto(k), Key: key}, nil
}

func (s *Server) ListApiKeys(ctx context.Context, req *memberv1.ListApiKeysRequest) (*memberv1.ListApiKeysResponse, error) {
	id, err := memberID("member", req.GetMember())
	if err != nil {
		return nil, fail(ctx, err)
	}
	if err := mayManage(ctx, req.GetMember()); err != nil {
		return nil, fail(ctx, err)
	}
	size, err := page.Size(req.GetPageSize())
	if err != nil {
		return nil, fail(ctx, err)
	}
	query := "api_keys|" + req.GetMember()
	cursor, err := s.tokens.Decode(req.GetPageToken(), query)
	if err != nil {
		return nil, fail(ctx, err)
	}
	keys, next, err := s.svc.ListAPIKeys(id, string(cursor), size)
	if err != nil {
		return nil, fail(ctx, err)
	}
	out := &memberv1.ListApiKeysResponse{}
	for _, k := range keys {
		out.ApiKeys = append(out.ApiKeys, apiKeyToProto(k))
	}
	if next != "" {
		out.NextPageToken = s.tokens.Encode(query, []byte(next))
	}
	return out, nil
}

func (s *Server) RevokeApiKey(ctx context.Context, req *memberv1.RevokeApiKeyRequest) (*memberv1.ApiKey, error) {
	m, k, err := apiKeyName("name", req.GetName())
	if err != nil {
		return nil, fail(ctx, err)
	}
	if err := mayManage(ctx, registry.MemberName(m)); err != nil {
		return nil, fail(ctx, err)
	}
	key, err := s.svc.RevokeAPIKey(m, k)
	if err != nil {
		return nil, fail(ctx, err)
	}
	return apiKeyToProto(key), nil
}

func (s *Server) AuthenticateApiKey(ctx context.Context, req *memberv1.AuthenticateApiKeyRequest) (*memberv1.AuthenticateApiKeyResponse, error) {
	keyID, secret, ok := auth.ParseMemberKey(req.GetKey())
	if !ok {
		return nil, fail(ctx, fault.New(fault.Unauthenticated, "INVALID_API_KEY", "missing or invalid API key"))
	}
	m, k, err := s.svc.AuthenticateAPIKey(keyID, secret)
	if err != nil {
		return nil, fail(ctx, err)
	}
	return &memberv1.AuthenticateApiKeyResponse{
		Member: m.Name(), Kind: memberv1.MemberKind(m.Kind), District: m.District,
		State: memberv1.MemberState(m.State), ApiKey: k.Name(),
	}, nil
}

// LocalKeys checks member keys against the registry's own store.
func LocalKeys(svc *registry.Service) auth.MemberKeys { return localKeys{svc} }

type localKeys struct{ svc *registry.Service }

func (l localKeys) Lookup(_ context.Context, keyID, secret string) (auth.Principal, error) {
	m, k, err := l.svc.AuthenticateAPIKey(keyID, secret)
	if err != nil {
		return auth.Principal{}, err
	}
	return auth.Principal{Kind: auth.Member, Member: m.Name(), MemberKind: m.Kind.String(), District: m.District, KeyID: k.ID}, nil
}

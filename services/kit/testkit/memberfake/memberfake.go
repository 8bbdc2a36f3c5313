// Package memberfake is a member registry for the tests of the services
// that call one: a real gRPC server of alliance.member.v1 on loopback
// over maps, so that session-scheduling, sales-reporting and the gateway
// test themselves without the real registry (whose module they must not
// require; the suite's tests run them together).
//
// It answers the calls those services make as the registry does (the
// same codes, reasons and ErrorInfo metadata): BatchGetMembers, GetMember,
// GetProduct, ListDistricts, ListCategories and AuthenticateApiKey; and the calls their
// tests make to set it up: CreateMember, SuspendMember, CreateProduct,
// CreateApiKey and RevokeApiKey. It checks no caller and validates no
// field: what a test puts in is what it holds. Every other RPC is
// UNIMPLEMENTED.
package memberfake

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	memberv1 "github.com/cqlive/alliance/gen/pb/alliance/member/v1"
	"github.com/cqlive/alliance/services/kit/auth"
	"github.com/cqlive/alliance/services/kit/fault"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"github.com/cqlive/alliance/services/kit/protoconv"
	"github.com/cqlive/alliance/services/kit/testkit"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// The fake's own reasons, named by the real registry's enum so that the
// two cannot drift apart in spelling (TestMemberfakeAnswersAsTheRegistry
// in the suite checks they answer alike).
var (
	fakeReasons          fault.Reasons
	memberNotFound       = fakeReasons.Define(protoconv.EnumName(memberv1.ErrorReason_ERROR_REASON_MEMBER_NOT_FOUND))
	productNotFound      = fakeReasons.Define(protoconv.EnumName(memberv1.ErrorReason_ERROR_REASON_PRODUCT_NOT_FOUND))
	memberAlreadyExists  = fakeReasons.Define(protoconv.EnumName(memberv1.ErrorReason_ERROR_REASON_MEMBER_ALREADY_EXISTS))
	productAlreadyExists = fakeReasons.Define(protoconv.EnumName(memberv1.ErrorReason_ERROR_REASON_PRODUCT_ALREADY_EXISTS))
)

// Domain is the ErrorInfo domain of the registry's errors.
const Domain = "member.alliance"

// ServiceName is the registry's gRPC service.
const ServiceName = "alliance.member.v1.MemberRegistry"

// Registry is the fake. The zero value is not ready: use New.
type Registry struct {
	memberv1.UnimplementedMemberRegistryServer

	// Districts is what ListDistricts answers.
	Districts []*memberv1.District
	// Categories is what ListCategories answers.
	Categories []*memberv1.Category
	// Lookups counts BatchGetMembers, GetMember and GetProduct calls.
	Lookups atomic.Int64

	mu       sync.Mutex
	members  map[string]*memberv1.Member  // by name
	products map[string]*memberv1.Product // by name
	keys     map[string]*key              // by key id
	ids      int
}

type key struct {
	secret string
	key    *memberv1.ApiKey
	member string
}

// New returns an empty registry.
func New() *Registry {
	return &Registry{members: map[string]*memberv1.Member{}, products: map[string]*memberv1.Product{}, keys: map[string]*key{}}
}

// Server returns a kit gRPC server of r; o's Name and Logger default to
// the registry's service and a quiet logger. Its interceptors run in
// front of r's handlers (a slow registry, a call count).
func (r *Registry) Server(o grpcx.ServerOptions) *grpcx.Server {
	if o.Name == "" {
		o.Name = ServiceName
	}
	if o.Logger == nil {
		o.Logger = testkit.Quiet
	}
	if o.ShutdownTimeout == 0 {
		o.ShutdownTimeout = time.Second
	}
	srv := grpcx.NewServer(o)
	memberv1.RegisterMemberRegistryServer(srv.GRPC, r)
	return srv
}

func fail(ctx context.Context, err *fault.Error) error { return grpcx.Status(ctx, Domain, err) }

func notFound(ctx context.Context, reason fault.Reason, what, name string) error {
	return fail(ctx, fault.New(fault.NotFound, reason, "%s %q not found", what, name).With("name", name))
}

// Put stores m (a copy) under its name, replacing any member of that name.
func (r *Registry) Put(m *memberv1.Member) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.members[m.GetName()] = proto.Clone(m).(*memberv1.Member)
}

func (r *Registry) CreateMember(ctx context.Context, req *memberv1.CreateMemberRequest) (*memberv1.Member, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	id := req.GetMemberId()
	if id == "" {
		r.ids++
		id = fmt.Sprintf("m%d", r.ids)
	}
	m := proto.Clone(req.GetMember()).(*memberv1.Member)
	m.Name, m.State = "members/"+id, memberv1.MemberState_MEMBER_STATE_ACTIVE
	if _, ok := r.members[m.Name]; ok {
		return nil, fail(ctx, fault.New(fault.AlreadyExists, memberAlreadyExists, "member %q already exists", m.Name).With("name", m.Name))
	}
	m.CreateTime, m.UpdateTime, m.Etag = timestamppb.Now(), timestamppb.Now(), "1"
	r.members[m.Name] = m
	return proto.Clone(m).(*memberv1.Member), nil
}

func (r *Registry) member(ctx context.Context, name string) (*memberv1.Member, error) {
	m, ok := r.members[name]
	if !ok {
		return nil, notFound(ctx, memberNotFound, "member", name)
	}
	return m, nil
}

func (r *Registry) GetMember(ctx context.Context, req *memberv1.GetMemberRequest) (*memberv1.Member, error) {
	r.Lookups.Add(1)
	r.mu.Lock()
	defer r.mu.Unlock()
	m, err := r.member(ctx, req.GetName())
	if err != nil {
		return nil, err
	}
	return proto.Clone(m).(*memberv1.Member), nil
}

// BatchGetMembers answers in the order asked; one unknown name fails the
// whole call with NOT_FOUND naming it, as the registry does.
func (r *Registry) BatchGetMembers(ctx context.Context, req *memberv1.BatchGetMembersRequest) (*memberv1.BatchGetMembersResponse, error) {
	r.Lookups.Add(1)
	r.mu.Lock()
	defer r.mu.Unlock()
	out := &memberv1.BatchGetMembersResponse{}
	for _, n := range req.GetNames() {
		m, err := r.member(ctx, n)
		if err != nil {
			return nil, err
		}
		out.Members = append(out.Members, proto.Clone(m).(*memberv1.Member))
	}
	return out, nil
}

func (r *Registry) SuspendMember(ctx context.Context, req *memberv1.SuspendMemberRequest) (*memberv1.Member, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	m, err := r.member(ctx, req.GetName())
	if err != nil {
		return nil, err
	}
	m.State, m.StateReason = memberv1.MemberState_MEMBER_STATE_SUSPENDED, req.GetReason()
	return proto.Clone(m).(*memberv1.Member), nil
}

// CreateProduct stores the product under its merchant; a product given
// no state is ACTIVE.
func (r *Registry) CreateProduct(ctx context.Context, req *memberv1.CreateProductRequest) (*memberv1.Product, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, err := r.member(ctx, req.GetParent()); err != nil {
		return nil, err
	}
	p := proto.Clone(req.GetProduct()).(*memberv1.Product)
	p.Name = req.GetParent() + "/products/" + req.GetProductId()
	if _, ok := r.products[p.Name]; ok {
		return nil, fail(ctx, fault.New(fault.AlreadyExists, productAlreadyExists, "product %q already exists", p.Name).With("name", p.Name))
	}
	if p.State == memberv1.ProductState_PRODUCT_STATE_UNSPECIFIED {
		p.State = memberv1.ProductState_PRODUCT_STATE_ACTIVE
	}
	p.CreateTime, p.UpdateTime, p.Etag = timestamppb.Now(), timestamppb.Now(), "1"
	r.products[p.Name] = p
	return proto.Clone(p).(*memberv1.Product), nil
}

func (r *Registry) GetProduct(ctx context.Context, req *memberv1.GetProductRequest) (*memberv1.Product, error) {
	r.Lookups.Add(1)
	r.mu.Lock()
	defer r.mu.Unlock()
	p, ok := r.products[req.GetName()]
	if !ok {
		return nil, notFound(ctx, productNotFound, "product", req.GetName())
	}
	return proto.Clone(p).(*memberv1.Product), nil
}

// ListCategories answers r.Categories.
func (r *Registry) ListCategories(context.Context, *memberv1.ListCategoriesRequest) (*memberv1.ListCategoriesResponse, error) {
	out := &memberv1.ListCategoriesResponse{}
	for _, c := range r.Categories {
		out.Categories = append(out.Categories, proto.Clone(c).(*memberv1.Category))
	}
	return out, nil
}

func (r *Registry) ListDistricts(context.Context, *memberv1.ListDistrictsRequest) (*memberv1.ListDistrictsResponse, error) {
	out := &memberv1.ListDistrictsResponse{}
	for _, d := range r.Districts {
		out.Districts = append(out.Districts, proto.Clone(d).(*memberv1.District))
	}
	return out, nil
}

// CreateApiKey issues a member key (staff keys are not faked).
func (r *Registry) CreateApiKey(ctx context.Context, req *memberv1.CreateApiKeyRequest) (*memberv1.CreateApiKeyResponse, error) {
	parent := req.GetParent()
	if parent == "" {
		parent = req.GetMember()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, err := r.member(ctx, parent); err != nil {
		return nil, err
	}
	id, full, secret := auth.NewMemberKey()
	k := &memberv1.ApiKey{Name: parent + "/apiKeys/" + id, DisplayName: req.GetApiKey().GetDisplayName(),
		State: memberv1.ApiKeyState_API_KEY_STATE_ACTIVE, CreateTime: timestamppb.Now()}
	r.keys[id] = &key{secret: secret, key: k, member: parent}
	return &memberv1.CreateApiKeyResponse{ApiKey: proto.Clone(k).(*memberv1.ApiKey), Key: full}, nil
}

func (r *Registry) RevokeApiKey(ctx context.Context, req *memberv1.RevokeApiKeyRequest) (*memberv1.ApiKey, error) {
	name := req.GetName()
	r.mu.Lock()
	defer r.mu.Unlock()
	k, ok := r.keys[name[strings.LastIndexByte(name, '/')+1:]]
	if !ok || k.key.GetName() != name {
		return nil, notFound(ctx, fault.ReasonAPIKeyNotFound, "API key", name)
	}
	k.key.State, k.key.RevokeTime = memberv1.ApiKeyState_API_KEY_STATE_REVOKED, timestamppb.Now()
	return proto.Clone(k.key).(*memberv1.ApiKey), nil
}

// AuthenticateApiKey refuses every bad key with UNAUTHENTICATED, telling
// an unknown key id (API_KEY_NOT_FOUND) from a wrong secret, a revoked
// key or a withdrawn member (INVALID_API_KEY), as the registry tells the
// other services. A suspended member's key authenticates.
func (r *Registry) AuthenticateApiKey(ctx context.Context, req *memberv1.AuthenticateApiKeyRequest) (*memberv1.AuthenticateApiKeyResponse, error) {
	bad := fault.New(fault.Unauthenticated, fault.ReasonInvalidAPIKey, "missing or invalid API key")
	id, secret, ok := auth.ParseMemberKey(req.GetKey())
	if !ok {
		return nil, fail(ctx, bad)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	k, ok := r.keys[id]
	if !ok {
		return nil, fail(ctx, fault.New(fault.Unauthenticated, fault.ReasonAPIKeyNotFound, "missing or invalid API key"))
	}
	m := r.members[k.member]
	if secret != k.secret || k.key.GetState() == memberv1.ApiKeyState_API_KEY_STATE_REVOKED ||
		m == nil || m.GetState() == memberv1.MemberState_MEMBER_STATE_WITHDRAWN {
		return nil, fail(ctx, bad)
	}
	return &memberv1.AuthenticateApiKeyResponse{Member: m.GetName(), Kind: m.GetKind(), District: m.GetDistrict(),
		State: m.GetState(), ApiKey: k.key.GetName()}, nil
}

// Package rpc is the gRPC face of the member registry: it checks the shape
// of each request, calls the registry, and maps the answer and any fault.
package rpc

import (
	"context"
	"fmt"

	memberv1 "github.com/cqlive/alliance/gen/pb/alliance/member/v1"
	"github.com/cqlive/alliance/services/kit/fault"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"github.com/cqlive/alliance/services/kit/ids"
	"github.com/cqlive/alliance/services/kit/page"
	"github.com/cqlive/alliance/services/kit/protoconv"
	"github.com/cqlive/alliance/services/member-registry/internal/registry"
)

// Server implements memberv1.MemberRegistryServer.
type Server struct {
	memberv1.UnsafeMemberRegistryServer
	svc    *registry.Service
	tokens *page.Codec
}

// New returns the adapter over svc; tokens signs page tokens.
func New(svc *registry.Service, tokens *page.Codec) *Server {
	return &Server{svc: svc, tokens: tokens}
}

// nextToken is the page token of the page after the one that ended at
// cursor next of query: "" on the last page.
func (s *Server) nextToken(query, next string) string {
	if next == "" {
		return ""
	}
	return s.tokens.Encode(query, []byte(next))
}

func fail(ctx context.Context, err error) error { return grpcx.Status(ctx, registry.Domain, err) }

// memberID parses a member name in field, or says which field is wrong.
func memberID(field, name string) (string, error) {
	return ids.Named(field, name, "member name members/{member}", registry.ParseMemberName)
}

func productID(field, name string) (string, string, error) {
	m, p, ok := registry.ParseProductName(name)
	if !ok {
		return "", "", fault.InvalidField(field, "must be a product name members/{merchant}/products/{product}, got %q", name)
	}
	return m, p, nil
}

// view renders a member for the caller: its contact data only where the
// registry's rule says the caller sees it.
func (s *Server) view(ctx context.Context, m *registry.Member) *memberv1.Member {
	out := memberToProto(m)
	if !s.svc.SeesContact(withCaller(ctx), out.Name) {
		out.Contact = nil
	}
	return out
}

// viewer is view for the caller of ctx, for a list of members.
func (s *Server) viewer(ctx context.Context) func(*registry.Member) *memberv1.Member {
	return func(m *registry.Member) *memberv1.Member { return s.view(ctx, m) }
}

func (s *Server) CreateMember(ctx context.Context, req *memberv1.CreateMemberRequest) (*memberv1.Member, error) {
	if req.GetMember() == nil {
		return nil, fail(ctx, fault.InvalidField("member", "is required"))
	}
	m, err := s.svc.CreateMember(memberFromProto(req.GetMember()), req.GetMemberId(), req.GetRequestId())
	if err != nil {
		return nil, fail(ctx, err)
	}
	return memberToProto(m), nil
}

func (s *Server) GetMember(ctx context.Context, req *memberv1.GetMemberRequest) (*memberv1.Member, error) {
	return s.onMember(ctx, req.GetName(), s.svc.GetMember, s.viewer(ctx))
}

func (s *Server) BatchGetMembers(ctx context.Context, req *memberv1.BatchGetMembersRequest) (*memberv1.BatchGetMembersResponse, error) {
	idList, err := ids.Batch(req.GetNames(), memberID)
	if err != nil {
		return nil, fail(ctx, err)
	}
	ms, err := s.svc.BatchGetMembers(idList)
	if err != nil {
		return nil, fail(ctx, err)
	}
	return &memberv1.BatchGetMembersResponse{Members: protoconv.List(ms, s.viewer(ctx))}, nil
}

func (s *Server) ListMembers(ctx context.Context, req *memberv1.ListMembersRequest) (*memberv1.ListMembersResponse, error) {
	size, err := page.Size(req.GetPageSize())
	if err != nil {
		return nil, fail(ctx, err)
	}
	if req.GetAgency() != "" {
		if _, err := memberID("agency", req.GetAgency()); err != nil {
			return nil, fail(ctx, err)
		}
	}
	query := fmt.Sprintf("members|%d|%s|%d|%s", req.GetKind(), req.GetDistrict(), req.GetState(), req.GetAgency())
	cursor, err := s.tokens.Decode(req.GetPageToken(), query)
	if err != nil {
		return nil, fail(ctx, err)
	}
	filter := registry.MemberFilter{
		Kind:     registry.Kind(req.GetKind()),
		District: req.GetDistrict(),
		State:    registry.State(req.GetState()),
		Agency:   req.GetAgency(),
	}
	ms, next, err := s.svc.ListMembers(filter, string(cursor), size)
	if err != nil {
		return nil, fail(ctx, err)
	}
	return &memberv1.ListMembersResponse{Members: protoconv.List(ms, s.viewer(ctx)), NextPageToken: s.nextToken(query, next)}, nil
}

func (s *Server) UpdateMember(ctx context.Context, req *memberv1.UpdateMemberRequest) (*memberv1.Member, error) {
	id, err := memberID("member.name", req.GetMember().GetName())
	if err != nil {
		return nil, fail(ctx, err)
	}
	patch := memberFromProto(req.GetMember())
	patch.ID = id
	m, err := s.svc.UpdateMember(withCaller(ctx), patch, req.GetUpdateMask().GetPaths(), req.GetMember().GetEtag())
	if err != nil {
		return nil, fail(ctx, err)
	}
	return memberToProto(m), nil
}

func (s *Server) SuspendMember(ctx context.Context, req *memberv1.SuspendMemberRequest) (*memberv1.Member, error) {
	return s.onMember(ctx, req.GetName(), func(id string) (*registry.Member, error) {
		return s.svc.SuspendMember(id, req.GetReason(), req.GetEtag())
	}, memberToProto)
}

func (s *Server) ReinstateMember(ctx context.Context, req *memberv1.ReinstateMemberRequest) (*memberv1.Member, error) {
	return s.onMember(ctx, req.GetName(), func(id string) (*registry.Member, error) {
		return s.svc.ReinstateMember(id, req.GetEtag())
	}, memberToProto)
}

func (s *Server) WithdrawMember(ctx context.Context, req *memberv1.WithdrawMemberRequest) (*memberv1.Member, error) {
	return s.onMember(ctx, req.GetName(), func(id string) (*registry.Member, error) {
		return s.svc.WithdrawMember(id, req.GetReason(), req.GetEtag())
	}, memberToProto)
}

// onMember serves a call on the member that name, the request's name
// field, names: do's answer for its id, rendered by out.
func (s *Server) onMember(ctx context.Context, name string, do func(id string) (*registry.Member, error), out func(*registry.Member) *memberv1.Member) (*memberv1.Member, error) {
	id, err := memberID("name", name)
	if err != nil {
		return nil, fail(ctx, err)
	}
	m, err := do(id)
	if err != nil {
		return nil, fail(ctx, err)
	}
	return out(m), nil
}

func (s *Server) CreateProduct(ctx context.Context, req *memberv1.CreateProductRequest) (*memberv1.Product, error) {
	merchant, err := memberID("parent", req.GetParent())
	if err != nil {
		return nil, fail(ctx, err)
	}
	var in *registry.Product
	if req.GetProduct() != nil {
		p := productFromProto(req.GetProduct())
		in = &p
	}
	p, err := s.svc.CreateProduct(withCaller(ctx), merchant, in, req.GetProductId(), req.GetRequestId())
	if err != nil {
		return nil, fail(ctx, err)
	}
	return productToProto(p), nil
}

func (s *Server) GetProduct(ctx context.Context, req *memberv1.GetProductRequest) (*memberv1.Product, error) {
	m, p, err := productID("name", req.GetName())
	if err != nil {
		return nil, fail(ctx, err)
	}
	prod, err := s.svc.GetProduct(m, p)
	if err != nil {
		return nil, fail(ctx, err)
	}
	return productToProto(prod), nil
}

func (s *Server) ListProducts(ctx context.Context, req *memberv1.ListProductsRequest) (*memberv1.ListProductsResponse, error) {
	size, err := page.Size(req.GetPageSize())
	if err != nil {
		return nil, fail(ctx, err)
	}
	merchant := ""
	if req.GetParent() != "members/-" {
		if merchant, err = memberID("parent", req.GetParent()); err != nil {
			return nil, fail(ctx, err)
		}
	}
	query := fmt.Sprintf("products|%s|%s|%s|%d", req.GetParent(), req.GetCategory(), req.GetOriginDistrict(), req.GetState())
	cursor, err := s.tokens.Decode(req.GetPageToken(), query)
	if err != nil {
		return nil, fail(ctx, err)
	}
	filter := registry.ProductFilter{
		MerchantID:     merchant,
		Category:       req.GetCategory(),
		OriginDistrict: req.GetOriginDistrict(),
		State:          registry.ProductState(req.GetState()),
	}
	ps, next, err := s.svc.ListProducts(filter, string(cursor), size)
	if err != nil {
		return nil, fail(ctx, err)
	}
	return &memberv1.ListProductsResponse{Products: protoconv.List(ps, productToProto), NextPageToken: s.nextToken(query, next)}, nil
}

func (s *Server) UpdateProduct(ctx context.Context, req *memberv1.UpdateProductRequest) (*memberv1.Product, error) {
	m, p, err := productID("product.name", req.GetProduct().GetName())
	if err != nil {
		return nil, fail(ctx, err)
	}
	patch := productFromProto(req.GetProduct())
	patch.MerchantID, patch.ID = m, p
	prod, err := s.svc.UpdateProduct(withCaller(ctx), patch, req.GetUpdateMask().GetPaths(), req.GetProduct().GetEtag())
	if err != nil {
		return nil, fail(ctx, err)
	}
	return productToProto(prod), nil
}

func (s *Server) ListDistricts(ctx context.Context, _ *memberv1.ListDistrictsRequest) (*memberv1.ListDistrictsResponse, error) {
	out := &memberv1.ListDistrictsResponse{}
	for _, d := range s.svc.Districts() {
		out.Districts = append(out.Districts, &memberv1.District{Code: d.Code, DisplayName: d.DisplayName})
	}
	return out, nil
}

func (s *Server) ListCategories(ctx context.Context, _ *memberv1.ListCategoriesRequest) (*memberv1.ListCategoriesResponse, error) {
	out := &memberv1.ListCategoriesResponse{}
	for _, c := range s.svc.Categories() {
		out.Categories = append(out.Categories, &memberv1.Category{Code: c.Code, DisplayName: c.DisplayName})
	}
	return out, nil
}

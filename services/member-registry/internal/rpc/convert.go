package rpc

import (
	memberv1 "github.com/cqlive/alliance/gen/pb/alliance/member/v1"
	typev1 "github.com/cqlive/alliance/gen/pb/alliance/type/v1"
	"github.com/cqlive/alliance/services/kit/ids"
	"github.com/cqlive/alliance/services/member-registry/internal/registry"
	"google.golang.org/protobuf/types/known/timestamppb"
)

func memberToProto(m *registry.Member) *memberv1.Member {
	out := &memberv1.Member{
		Name:        m.Name(),
		Kind:        memberv1.MemberKind(m.Kind),
		DisplayName: m.DisplayName,
		District:    m.District,
		State:       memberv1.MemberState(m.State),
		StateReason: m.StateReason,
		Agency:      m.Agency,
		Official:    m.Official,
		Contact:     &memberv1.Contact{Person: m.Contact.Person, Phone: m.Contact.Phone, Email: m.Contact.Email},
		CreateTime:  timestamppb.New(m.CreateTime),
		UpdateTime:  timestamppb.New(m.UpdateTime),
		Etag:        ids.ETag(m.Revision),
	}
	for _, s := range m.Studios {
		out.Studios = append(out.Studios, &memberv1.Studio{StudioId: s.ID, DisplayName: s.DisplayName})
	}
	return out
}

func memberFromProto(p *memberv1.Member) registry.Member {
	m := registry.Member{
		Kind:        registry.Kind(p.GetKind()),
		DisplayName: p.GetDisplayName(),
		District:    p.GetDistrict(),
		Agency:      p.GetAgency(),
		Official:    p.GetOfficial(),
		Contact: registry.Contact{
			Person: p.GetContact().GetPerson(),
			Phone:  p.GetContact().GetPhone(),
			Email:  p.GetContact().GetEmail(),
		},
	}
	for _, s := range p.GetStudios() {
		m.Studios = append(m.Studios, registry.Studio{ID: s.GetStudioId(), DisplayName: s.GetDisplayName()})
	}
	return m
}

func productToProto(p *registry.Product) *memberv1.Product {
	return &memberv1.Product{
		Name:           p.Name(),
		DisplayName:    p.DisplayName,
		Category:       p.Category,
		OriginDistrict: p.OriginDistrict,
		ListPrice:      &typev1.Money{CurrencyCode: p.ListPrice.Currency, MinorUnits: p.ListPrice.MinorUnits},
		State:          memberv1.ProductState(p.State),
		CreateTime:     timestamppb.New(p.CreateTime),
		UpdateTime:     timestamppb.New(p.UpdateTime),
		Etag:           ids.ETag(p.Revision),
	}
}

func productFromProto(p *memberv1.Product) registry.Product {
	return registry.Product{
		DisplayName:    p.GetDisplayName(),
		Category:       p.GetCategory(),
		OriginDistrict: p.GetOriginDistrict(),
		ListPrice:      registry.Money{Currency: p.GetListPrice().GetCurrencyCode(), MinorUnits: p.GetListPrice().GetMinorUnits()},
		State:          registry.ProductState(p.GetState()),
	}
}

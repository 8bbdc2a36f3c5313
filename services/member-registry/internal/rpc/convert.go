package rpc

import (
	memberv1 "github.com/cqlive/alliance/gen/pb/alliance/member/v1"
	"github.com/cqlive/alliance/services/kit/etag"
	"github.com/cqlive/alliance/services/kit/protoconv"
	"github.com/cqlive/alliance/services/member-registry/internal/registry"
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
		CreateTime:  protoconv.Timestamp(m.CreateTime),
		UpdateTime:  protoconv.Timestamp(m.UpdateTime),
		Etag:        etag.Of(m.Revision),
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
		ListPrice:      protoconv.Money(p.ListPrice.Currency, p.ListPrice.MinorUnits),
		State:          memberv1.ProductState(p.State),
		CreateTime:     protoconv.Timestamp(p.CreateTime),
		UpdateTime:     protoconv.Timestamp(p.UpdateTime),
		Etag:           etag.Of(p.Revision),
	}
}

func productFromProto(p *memberv1.Product) registry.Product {
	currency, minor := protoconv.FromMoney(p.GetListPrice())
	return registry.Product{
		DisplayName:    p.GetDisplayName(),
		Category:       p.GetCategory(),
		OriginDistrict: p.GetOriginDistrict(),
		ListPrice:      registry.Money{Currency: currency, MinorUnits: minor},
		State:          registry.ProductState(p.GetState()),
	}
}

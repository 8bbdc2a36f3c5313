package store

import (
	storev1 "github.com/cqlive/alliance/gen/pb/alliance/member/store/v1"
	"github.com/cqlive/alliance/services/kit/members"
	"github.com/cqlive/alliance/services/kit/protoconv"
	"github.com/cqlive/alliance/services/member-registry/internal/registry"
	"google.golang.org/protobuf/proto"
)

// The one conversion between the registry's values and the records of
// alliance.member.store.v1. Every field of a domain type is a field of its
// record (TestTheRecordsKeepEveryField fails on one that is not).

// marshal is deterministic so that the same value is always the same bytes.
var marshal = proto.MarshalOptions{Deterministic: true}

func encodeMember(m *registry.Member) ([]byte, error) {
	r := &storev1.Member{
		Id:          m.ID,
		Kind:        int32(m.Kind),
		DisplayName: m.DisplayName,
		District:    m.District,
		State:       int32(m.State),
		StateReason: m.StateReason,
		Agency:      m.Agency,
		Official:    m.Official,
		CreateTime:  protoconv.Timestamp(m.CreateTime),
		UpdateTime:  protoconv.Timestamp(m.UpdateTime),
		Revision:    m.Revision,
	}
	for _, s := range m.Studios {
		r.Studios = append(r.Studios, &storev1.Studio{Id: s.ID, DisplayName: s.DisplayName})
	}
	if m.Contact != (registry.Contact{}) {
		r.Contact = &storev1.Contact{Person: m.Contact.Person, Phone: m.Contact.Phone, Email: m.Contact.Email}
	}
	return marshal.Marshal(r)
}

func decodeMember(raw []byte) (*registry.Member, error) {
	r := new(storev1.Member)
	if err := proto.Unmarshal(raw, r); err != nil {
		return nil, err
	}
	m := &registry.Member{
		ID:          r.GetId(),
		Kind:        members.Kind(r.GetKind()),
		DisplayName: r.GetDisplayName(),
		District:    r.GetDistrict(),
		State:       members.State(r.GetState()),
		StateReason: r.GetStateReason(),
		Agency:      r.GetAgency(),
		Official:    r.GetOfficial(),
		Contact: registry.Contact{
			Person: r.GetContact().GetPerson(),
			Phone:  r.GetContact().GetPhone(),
			Email:  r.GetContact().GetEmail(),
		},
		CreateTime: protoconv.RecordTime(r.GetCreateTime()),
		UpdateTime: protoconv.RecordTime(r.GetUpdateTime()),
		Revision:   r.GetRevision(),
	}
	for _, s := range r.GetStudios() {
		m.Studios = append(m.Studios, registry.Studio{ID: s.GetId(), DisplayName: s.GetDisplayName()})
	}
	return m, nil
}

func encodeProduct(p *registry.Product) ([]byte, error) {
	return marshal.Marshal(&storev1.Product{
		MerchantId:     p.MerchantID,
		Id:             p.ID,
		DisplayName:    p.DisplayName,
		Category:       p.Category,
		OriginDistrict: p.OriginDistrict,
		ListPrice:      &storev1.Money{Currency: p.ListPrice.Currency, MinorUnits: p.ListPrice.MinorUnits},
		State:          int32(p.State),
		CreateTime:     protoconv.Timestamp(p.CreateTime),
		UpdateTime:     protoconv.Timestamp(p.UpdateTime),
		Revision:       p.Revision,
	})
}

func decodeProduct(raw []byte) (*registry.Product, error) {
	r := new(storev1.Product)
	if err := proto.Unmarshal(raw, r); err != nil {
		return nil, err
	}
	return &registry.Product{
		MerchantID:     r.GetMerchantId(),
		ID:             r.GetId(),
		DisplayName:    r.GetDisplayName(),
		Category:       r.GetCategory(),
		OriginDistrict: r.GetOriginDistrict(),
		ListPrice:      registry.Money{Currency: r.GetListPrice().GetCurrency(), MinorUnits: r.GetListPrice().GetMinorUnits()},
		State:          registry.ProductState(r.GetState()),
		CreateTime:     protoconv.RecordTime(r.GetCreateTime()),
		UpdateTime:     protoconv.RecordTime(r.GetUpdateTime()),
		Revision:       r.GetRevision(),
	}, nil
}

func encodeAPIKey(k *registry.APIKey) ([]byte, error) {
	return marshal.Marshal(&storev1.ApiKey{
		Id:          k.ID,
		MemberId:    k.MemberID,
		DisplayName: k.DisplayName,
		Role:        int32(k.Role),
		Hash:        k.Hash,
		CreateTime:  protoconv.Timestamp(k.CreateTime),
		RevokeTime:  protoconv.Timestamp(k.RevokeTime),
	})
}

func decodeAPIKey(raw []byte) (*registry.APIKey, error) {
	r := new(storev1.ApiKey)
	if err := proto.Unmarshal(raw, r); err != nil {
		return nil, err
	}
	return &registry.APIKey{
		ID:          r.GetId(),
		MemberID:    r.GetMemberId(),
		DisplayName: r.GetDisplayName(),
		Role:        registry.Role(r.GetRole()),
		Hash:        r.GetHash(),
		CreateTime:  protoconv.RecordTime(r.GetCreateTime()),
		RevokeTime:  protoconv.RecordTime(r.GetRevokeTime()),
	}, nil
}

func encodeRequest(name string) ([]byte, error) {
	return marshal.Marshal(&storev1.Request{Name: name})
}

func decodeRequest(raw []byte) (string, error) {
	r := new(storev1.Request)
	if err := proto.Unmarshal(raw, r); err != nil {
		return "", err
	}
	return r.GetName(), nil
}

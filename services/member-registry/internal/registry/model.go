// Package registry holds the member registry's rules: who may be a member,
// what each kind may have, how states move, and how products hang off
// merchants. It knows neither proto nor bbolt; the store implements Repo and
// the rpc package maps the API onto Service.
package registry

import (
	"github.com/cqlive/alliance/services/kit/members"
	"strings"
	"time"
)

// Domain names this service in ErrorInfo.
const Domain = "member.alliance"

// Kind and State of a member are the suite's vocabulary (kit/members):
// a kind is fixed at creation, and WITHDRAWN is terminal.
type (
	Kind  = members.Kind
	State = members.State
)

// Studio of a BASE.
type Studio struct {
	ID          string
	DisplayName string
}

// Contact data: shown only to admins and the member itself.
type Contact struct {
	Person string
	Phone  string
	Email  string
}

// Member of the alliance.
type Member struct {
	ID          string
	Kind        Kind
	DisplayName string
	District    string
	State       State
	StateReason string
	Agency      string // members/{agency}
	Official    bool
	Studios     []Studio
	Contact     Contact
	CreateTime  time.Time
	UpdateTime  time.Time
	Revision    uint64
}

// Name is the resource name members/{id}.
func (m *Member) Name() string { return MemberName(m.ID) }

// MemberName is members/{id}.
func MemberName(id string) string { return "members/" + id }

// ParseMemberName returns the id of members/{id}, or "" if name is not one.
func ParseMemberName(name string) string {
	id, ok := strings.CutPrefix(name, "members/")
	if !ok || strings.Contains(id, "/") {
		return ""
	}
	return id
}

// ProductState of a product.
type ProductState int

const (
	ProductStateUnspecified ProductState = iota
	ProductActive
	ProductDiscontinued
)

// Money in minor units.
type Money struct {
	Currency   string
	MinorUnits int64
}

// Product of a MERCHANT.
type Product struct {
	MerchantID     string
	ID             string
	DisplayName    string
	Category       string
	OriginDistrict string
	ListPrice      Money
	State          ProductState
	CreateTime     time.Time
	UpdateTime     time.Time
	Revision       uint64
}

// Name is members/{merchant}/products/{product}.
func (p *Product) Name() string { return ProductName(p.MerchantID, p.ID) }

// ProductName is members/{merchant}/products/{product}.
func ProductName(merchantID, productID string) string {
	return "members/" + merchantID + "/products/" + productID
}

// ParseProductName splits members/{m}/products/{p}; ok is false otherwise.
func ParseProductName(name string) (merchantID, productID string, ok bool) {
	parts := strings.Split(name, "/")
	if len(parts) != 4 || parts[0] != "members" || parts[2] != "products" || parts[1] == "" || parts[3] == "" {
		return "", "", false
	}
	return parts[1], parts[3], true
}

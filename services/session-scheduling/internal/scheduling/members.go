package scheduling

import (
	"context"
	"fmt"
	"slices"

	"github.com/cqlive/alliance/services/kit/fault"
)

// MemberKind of a registry member; the numbers follow alliance.member.v1.
type MemberKind int

const (
	KindUnspecified MemberKind = iota
	KindHost
	KindBase
	KindAgency
	KindMerchant
	KindDistrictOffice
)

func (k MemberKind) String() string {
	if k < 0 || k > KindDistrictOffice {
		return "UNKNOWN"
	}
	return [...]string{"UNSPECIFIED", "HOST", "BASE", "AGENCY", "MERCHANT", "DISTRICT_OFFICE"}[k]
}

// MemberState of a registry member; the numbers follow alliance.member.v1.
type MemberState int

const (
	MemberStateUnspecified MemberState = iota
	MemberActive
	MemberSuspended
	MemberWithdrawn
)

func (s MemberState) String() string {
	if s < 0 || s > MemberWithdrawn {
		return "UNKNOWN"
	}
	return [...]string{"UNSPECIFIED", "ACTIVE", "SUSPENDED", "WITHDRAWN"}[s]
}

// Member is what the scheduler needs to know of a registry member.
type Member struct {
	Name    string // members/{id}
	Kind    MemberKind
	State   MemberState
	Studios []string // studio ids, BASE only
	Agency  string   // members/{agency} that manages a HOST, or ""
}

// Product is what the scheduler needs to know of a registry product.
type Product struct {
	Name     string // members/{merchant}/products/{product}
	Merchant string // members/{merchant}
	Active   bool
}

// Members is the member registry as the scheduler sees it. Implementations
// call the registry with a deadline; when it cannot be reached they return
// an UNAVAILABLE fault, never an answer.
type Members interface {
	// BatchGet returns the named members in the order asked. All or
	// nothing: if one does not exist, the error is a *MissingMember.
	BatchGet(ctx context.Context, names []string) ([]Member, error)
	// Product returns the product, or nil when it does not exist.
	Product(ctx context.Context, name string) (*Product, error)
}

// MissingMember is the answer of Members.BatchGet when a name is unknown.
type MissingMember struct{ Name string }

func (e *MissingMember) Error() string { return fmt.Sprintf("member %q not found", e.Name) }

// checkBooking applies API.md rules 1-3 (host, studio, merchants and
// products) to s by asking the registry, and returns the members it read
// (the authorization rules need the host's agency). It runs before the
// write transaction: the registry is another process, and a bbolt write
// transaction must not wait on the network. With active false (imported
// history) a member or product need only exist and be of the right kind:
// a record of 2020 may name a host suspended since.
func checkBooking(ctx context.Context, reg Members, s *Session, active bool) (map[string]Member, error) {
	base, _, _ := ParseStudioName(s.Studio)
	names := []string{s.Host}
	for _, n := range append([]string{base}, s.Merchants...) {
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	got, err := fetch(ctx, reg, names, s, base)
	if err != nil {
		return nil, err
	}
	if err := checkHost(got[s.Host], active); err != nil {
		return nil, err
	}
	if err := checkStudio(got[base], s.Studio, active); err != nil {
		return nil, err
	}
	for _, name := range s.Merchants {
		m := got[name]
		if m.Kind != KindMerchant {
			return nil, fault.New(fault.FailedPrecondition, ReasonWrongMemberKind,
				"%s is a %s, not a MERCHANT", name, m.Kind).With("name", name)
		}
		if active && m.State != MemberActive {
			return nil, fault.New(fault.FailedPrecondition, ReasonMerchantNotActive,
				"merchant %s is %s; only ACTIVE merchants can sell in a session", name, m.State).With("name", name)
		}
	}
	for _, name := range s.Products {
		merchant, _ := ParseProductName(name)
		notOffered := func(why string) error {
			return fault.New(fault.FailedPrecondition, ReasonProductNotOffered,
				"product %s %s", name, why).With("name", name)
		}
		if !slices.Contains(s.Merchants, merchant) {
			return nil, notOffered(fmt.Sprintf("belongs to %s, which is not one of the session's merchants", merchant))
		}
		p, err := reg.Product(ctx, name)
		if err != nil {
			return nil, err
		}
		switch {
		case p == nil:
			return nil, notOffered("does not exist")
		case active && !p.Active:
			return nil, notOffered("is discontinued")
		}
	}
	return got, nil
}

// fetch gets names from the registry and says, by the role of a missing
// member in s, which rule it breaks.
func fetch(ctx context.Context, reg Members, names []string, s *Session, base string) (map[string]Member, error) {
	list, err := reg.BatchGet(ctx, names)
	if miss, ok := err.(*MissingMember); ok {
		switch miss.Name {
		case s.Host:
			return nil, fault.New(fault.NotFound, ReasonHostNotFound, "host %s not found", s.Host).With("name", s.Host)
		case base:
			return nil, studioNotFound(s.Studio)
		default:
			return nil, fault.New(fault.NotFound, ReasonMerchantNotFound, "merchant %s not found", miss.Name).With("name", miss.Name)
		}
	}
	if err != nil {
		return nil, err
	}
	out := make(map[string]Member, len(list))
	for _, m := range list {
		out[m.Name] = m
	}
	return out, nil
}

func studioNotFound(studio string) error {
	return fault.New(fault.NotFound, ReasonStudioNotFound, "studio %s not found", studio).With("name", studio)
}

// checkHost is rule 1: an ACTIVE HOST (any HOST for history).
func checkHost(m Member, active bool) error {
	if m.Kind != KindHost {
		return fault.New(fault.FailedPrecondition, ReasonWrongMemberKind,
			"%s is a %s, not a HOST", m.Name, m.Kind).With("name", m.Name)
	}
	if active && m.State != MemberActive {
		return fault.New(fault.FailedPrecondition, ReasonHostNotActive,
			"host %s is %s; only ACTIVE hosts can be booked", m.Name, m.State).With("name", m.Name)
	}
	return nil
}

// checkStudio is rule 2: a studio of an ACTIVE BASE (any BASE for history).
func checkStudio(base Member, studio string, active bool) error {
	_, studioID, _ := ParseStudioName(studio)
	if base.Kind != KindBase || !slices.Contains(base.Studios, studioID) {
		return studioNotFound(studio)
	}
	if active && base.State != MemberActive {
		return fault.New(fault.FailedPrecondition, ReasonBaseNotActive,
			"base %s is %s; only the studios of ACTIVE bases can be booked", base.Name, base.State).With("name", base.Name)
	}
	return nil
}

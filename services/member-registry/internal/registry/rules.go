package registry

import (
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/cqlive/alliance/services/kit/fault"
	"github.com/cqlive/alliance/services/kit/ids"
	"github.com/cqlive/alliance/services/kit/members"
	"github.com/cqlive/alliance/services/kit/text"
	"golang.org/x/text/currency"
)

var currencyCode = regexp.MustCompile(`^[A-Z]{3}$`)

func notFoundMember(id string) error {
	return fault.New(fault.NotFound, ReasonMemberNotFound, "member %q not found", MemberName(id)).With("name", MemberName(id))
}

// checkDisplayName holds a display name to 1-200 characters that show:
// not blank, and nothing that kit/text's rule finds (a control character,
// a line or paragraph separator, a bidirectional override or isolate,
// which shows a name reversed in every list, report and export).
// A name is checked when a create or an update sets it, so that a name
// stored before this rule stays readable, and its member updatable in its
// other fields.
func checkDisplayName(v *fault.Invalid, field, s string) {
	if n := utf8.RuneCountInString(s); n < 1 || n > 200 {
		v.Add(field, "must have 1 to 200 characters, has %d", n)
		return
	}
	if strings.TrimSpace(s) == "" {
		v.Add(field, "must not be blank")
		return
	}
	text.Check(v, field, s)
}

const idRule = "must be 1-63 lowercase letters, digits or hyphens, starting with a letter; got %q"

func checkID(v *fault.Invalid, field, id string) {
	if !ids.Valid(id) {
		v.Add(field, idRule, id)
	}
}

func invalidID(field, id string) error { return fault.InvalidField(field, idRule, id) }

// validateMember checks a member's own fields (create and the result of an
// update alike) and the rules that tie fields to the member's kind. The
// agency's own state is a rule of setting it (changed says which fields a
// create sets or an update changes, fieldmask.Update.Changed): a host whose
// agency was suspended or withdrawn since keeps it, and its other fields
// stay updatable, also when it is sent back as read, agency and all.
func (s *Service) validateMember(tx Tx, m *Member, changed func(field string) bool) error {
	var v fault.Invalid
	if m.Kind < members.Host || m.Kind > members.DistrictOffice {
		v.Add("member.kind", "must be one of HOST, BASE, AGENCY, MERCHANT, DISTRICT_OFFICE")
	}
	if changed("display_name") {
		checkDisplayName(&v, "member.display_name", m.DisplayName)
	}
	if !s.districts.Has(m.District) {
		v.Add("member.district", "unknown district %q; see ListDistricts", m.District)
	}
	seen := map[string]bool{}
	for i, st := range m.Studios {
		checkID(&v, fmt.Sprintf("member.studios[%d].studio_id", i), st.ID)
		if changed("studios") {
			checkDisplayName(&v, fmt.Sprintf("member.studios[%d].display_name", i), st.DisplayName)
		}
		if seen[st.ID] {
			v.Add(fmt.Sprintf("member.studios[%d].studio_id", i), "studio %q is listed twice", st.ID)
		}
		seen[st.ID] = true
	}
	if m.Agency != "" && ParseMemberName(m.Agency) == "" {
		v.Add("member.agency", "must be a member name members/{agency}, got %q", m.Agency)
	}
	for field, val := range map[string]string{"member.contact.person": m.Contact.Person, "member.contact.phone": m.Contact.Phone} {
		if utf8.RuneCountInString(val) > 200 {
			v.Add(field, "must have at most 200 characters")
		}
	}
	if m.Contact.Email != "" {
		if a, err := mail.ParseAddress(m.Contact.Email); err != nil || a.Address != m.Contact.Email {
			v.Add("member.contact.email", "is not an email address: %q", m.Contact.Email)
		}
	}
	if err := v.Err(); err != nil {
		return err
	}

	wrongKind := func(field, allowed string) error {
		return fault.New(fault.FailedPrecondition, ReasonWrongMemberKind,
			"%s is only for %s members; this member is a %s", field, allowed, m.Kind).With("field", field)
	}
	if m.Agency != "" && m.Kind != members.Host {
		return wrongKind("agency", "HOST")
	}
	if m.Official && m.Kind != members.Host {
		return wrongKind("official", "HOST")
	}
	if len(m.Studios) > 0 && m.Kind != members.Base {
		return wrongKind("studios", "BASE")
	}
	if m.Agency != "" && changed("agency") {
		agencyID := ParseMemberName(m.Agency)
		agency, err := tx.Member(agencyID)
		if err != nil {
			return err
		}
		switch {
		case agency == nil:
			return fault.New(fault.NotFound, ReasonAgencyNotFound, "agency %q not found", m.Agency).With("name", m.Agency)
		case agency.Kind != members.Agency:
			return fault.New(fault.FailedPrecondition, ReasonWrongMemberKind,
				"%s is a %s, not an AGENCY", m.Agency, agency.Kind).With("field", "agency")
		case agency.State != members.Active:
			return fault.New(fault.FailedPrecondition, ReasonAgencyNotActive,
				"agency %s is %s, not ACTIVE", m.Agency, agency.State).With("name", m.Agency)
		}
	}
	return nil
}

// validateProduct checks a product's own fields. The list rules (a
// category from the list, an ISO 4217 currency) hold for the fields a
// create or an update sets (changed); a stored product from before a rule
// stays readable, and updatable in its other fields.
func (s *Service) validateProduct(p *Product, changed func(field string) bool) error {
	var v fault.Invalid
	if changed("display_name") {
		checkDisplayName(&v, "product.display_name", p.DisplayName)
	}
	if !s.districts.Has(p.OriginDistrict) {
		v.Add("product.origin_district", "unknown district %q; see ListDistricts", p.OriginDistrict)
	}
	if changed("list_price") {
		if err := checkCurrency(p.ListPrice.Currency); err != "" {
			v.Add("product.list_price.currency_code", "%s", err)
		}
	}
	if p.ListPrice.MinorUnits < 0 {
		v.Add("product.list_price.minor_units", "must not be negative")
	}
	if p.State != ProductActive && p.State != ProductDiscontinued {
		v.Add("product.state", "must be ACTIVE or DISCONTINUED")
	}
	unknownCategory := changed("category") && !s.categories.Has(p.Category)
	const categoryRule = "unknown category %q; see ListCategories (GET /v1/categories)"
	if unknownCategory && !v.Empty() {
		v.Add("product.category", categoryRule, p.Category)
	}
	if err := v.Err(); err != nil {
		return err
	}
	if unknownCategory {
		fe, _ := fault.As(fault.InvalidField("product.category", categoryRule, p.Category))
		fe.Reason = ReasonUnknownCategory
		return fe.With("category", p.Category)
	}
	return nil
}

// checkCurrency says what is wrong with an ISO 4217 code, or "". The
// code must be written as the standard writes it; x/text knows which
// codes exist. XXX (no currency) and XTS (testing) price nothing.
func checkCurrency(code string) string {
	if !currencyCode.MatchString(code) {
		return fmt.Sprintf("must be an ISO 4217 code of 3 upper-case letters such as CNY, got %q", code)
	}
	if _, err := currency.ParseISO(code); err != nil || code == "XXX" || code == "XTS" {
		return fmt.Sprintf("%q is not an ISO 4217 currency code; the yuan is CNY", code)
	}
	return ""
}

// transition is the state machine of members: from which states each
// action may move, and where to.
type transition struct {
	action string
	from   []State
	to     State
}

var (
	suspend   = transition{"suspend", []State{members.Active}, members.Suspended}
	reinstate = transition{"reinstate", []State{members.Suspended}, members.Active}
	withdraw  = transition{"withdraw", []State{members.Active, members.Suspended}, members.Withdrawn}
)

func (t transition) apply(m *Member) error {
	for _, f := range t.from {
		if m.State == f {
			m.State = t.to
			return nil
		}
	}
	return fault.New(fault.FailedPrecondition, ReasonInvalidStateTransition,
		"cannot %s %s: it is %s", t.action, m.Name(), m.State).With("state", m.State.String())
}

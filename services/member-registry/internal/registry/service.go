package registry

import (
	"context"
	"errors"
	"github.com/cqlive/alliance/services/kit/members"
	"time"

	"github.com/cqlive/alliance/services/kit/etag"
	"github.com/cqlive/alliance/services/kit/fault"
	"github.com/cqlive/alliance/services/kit/fieldmask"
	"github.com/cqlive/alliance/services/kit/ids"
)

// Service applies the registry's rules over a Repo.
type Service struct {
	repo       Repo
	districts  *Districts
	categories *Categories
	bookings   Bookings
	now        func() time.Time
}

// Options of a Service.
type Options struct {
	// Districts and Categories: the lists; nil means the built-in one.
	Districts  *Districts
	Categories *Categories
	// Bookings says whether a studio still has sessions; a studio is never
	// removed without asking it.
	Bookings Bookings
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// NewService returns a service over repo.
func NewService(repo Repo, o Options) *Service {
	s := &Service{repo: repo, districts: o.Districts, categories: o.Categories, bookings: o.Bookings, now: o.Now}
	if s.districts == nil {
		s.districts = DefaultDistricts()
	}
	if s.categories == nil {
		s.categories = DefaultCategories()
	}
	if s.bookings == nil {
		s.bookings = noBookings{}
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// Districts returns the district list.
func (s *Service) Districts() []District { return s.districts.All() }

// Categories returns the category list.
func (s *Service) Categories() []Category { return s.categories.All() }

func (s *Service) stamp() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// CreateMember registers m. memberID may be empty (the server makes one).
// A repeated requestID returns the member the first request made.
func (s *Service) CreateMember(m Member, memberID, requestID string) (*Member, error) {
	if memberID != "" && !ids.Valid(memberID) {
		return nil, invalidID("member_id", memberID)
	}
	return inTx(s.repo.Update, func(tx Tx) (*Member, error) {
		if name, err := madeBy(tx, "member", requestID); err != nil || name != "" {
			if err != nil {
				return nil, err
			}
			return tx.Member(ParseMemberName(name))
		}
		m.ID = memberID
		if m.ID == "" {
			m.ID = ids.New()
		}
		if err := s.validateMember(tx, &m, func(string) bool { return true }); err != nil {
			return nil, err
		}
		existing, err := tx.Member(m.ID)
		if err != nil {
			return nil, err
		}
		if existing != nil {
			return nil, fault.New(fault.AlreadyExists, ReasonMemberAlreadyExists, "member %q already exists", m.Name()).With("name", m.Name())
		}
		now := s.stamp()
		m.State, m.StateReason = members.Active, ""
		m.CreateTime, m.UpdateTime, m.Revision = now, now, 1
		if err := tx.PutMember(&m); err != nil {
			return nil, err
		}
		if err := rememberRequest(tx, "member", requestID, m.Name()); err != nil {
			return nil, err
		}
		return &m, nil
	})
}

// GetMember returns the member with the given id.
func (s *Service) GetMember(id string) (*Member, error) {
	return inTx(s.repo.View, func(tx Tx) (*Member, error) { return getMember(tx, id) })
}

func getMember(tx Tx, id string) (*Member, error) {
	m, err := tx.Member(id)
	if err != nil {
		return nil, err
	}
	if m == nil {
		return nil, notFoundMember(id)
	}
	return m, nil
}

// BatchGetMembers returns the members in the order asked; one unknown id
// fails the whole call with NOT_FOUND naming it.
func (s *Service) BatchGetMembers(idList []string) ([]*Member, error) {
	var out []*Member
	err := s.repo.View(func(tx Tx) (err error) {
		out, err = ids.Get(idList, func(id string) (*Member, error) { return getMember(tx, id) })
		return err
	})
	return out, err
}

// MemberFilter keeps members whose fields equal the set ones.
type MemberFilter struct {
	Kind     Kind
	District string
	State    State
	Agency   string // members/{agency}
}

func (f MemberFilter) match(m *Member) bool {
	return (f.Kind == members.KindUnspecified || m.Kind == f.Kind) &&
		(f.District == "" || m.District == f.District) &&
		(f.State == members.StateUnspecified || m.State == f.State) &&
		(f.Agency == "" || m.Agency == f.Agency)
}

// ListMembers returns up to limit members matching f in id order after the
// cursor, and the cursor of the next page ("" when there is none).
func (s *Service) ListMembers(f MemberFilter, after string, limit int) ([]*Member, string, error) {
	pg := page[*Member]{limit: limit, keep: f.match, cursor: func(m *Member) string { return m.ID }}
	err := s.repo.View(func(tx Tx) error { return tx.Members(after, pg.add) })
	return pg.out, pg.next, err
}

// memberUpdate is what an update of a member may name (AIP-134 paths),
// and how each field is set.
var memberUpdate = fieldmask.Update[Member]{
	Resource: "member",
	Fields: []fieldmask.Field[Member]{
		fieldmask.Value("display_name", func(m *Member) *string { return &m.DisplayName }),
		fieldmask.Value("district", func(m *Member) *string { return &m.District }),
		fieldmask.Value("agency", func(m *Member) *string { return &m.Agency }),
		fieldmask.Value("official", func(m *Member) *bool { return &m.Official }),
		fieldmask.List("studios", func(m *Member) *[]Studio { return &m.Studios }),
		fieldmask.Value("contact", func(m *Member) *Contact { return &m.Contact }),
		fieldmask.Value("contact.person", func(m *Member) *string { return &m.Contact.Person }),
		fieldmask.Value("contact.phone", func(m *Member) *string { return &m.Contact.Phone }),
		fieldmask.Value("contact.email", func(m *Member) *string { return &m.Contact.Email }),
	},
	OutputOnly: []string{"name", "state", "state_reason", "create_time", "update_time", "etag"},
	// A member sent back as read names its kind: the same kind passes.
	Immutable: []fieldmask.Field[Member]{fieldmask.Value("kind", func(m *Member) *Kind { return &m.Kind })},
}

// UpdateMember applies the fields of patch named by mask to the member
// patch.ID (see fieldmask.Fields.Resolve). tag, when set, must be the
// member's current etag. The member itself may update its own fields but
// those only the alliance sets (selfUpdateLimits); a path of those, or
// kind, that holds the stored value passes, so that a member sent back as
// read is an update of what changed.
//
// An update that removes a studio first asks Bookings whether the studio
// still has a SCHEDULED, LIVE or PENDING_APPROVAL session, and is refused if it has one or
// if the answer cannot be had. The question is asked outside the write
// transaction, so that a slow session-scheduling never holds the
// registry's writes; the transaction then commits only if it removes no
// studio that was not checked (else it checks those and tries again).
func (s *Service) UpdateMember(ctx context.Context, patch Member, mask []string, tag string) (*Member, error) {
	if err := mayManage(ctx, patch.Name()); err != nil {
		return nil, err
	}
	paths, err := memberUpdate.Resolve(mask, &patch)
	if err != nil {
		return nil, err
	}
	checked := map[string]bool{} // studios found free of sessions
	for range maxStudioChecks {
		var out *Member
		var unchecked []string
		err = s.repo.Update(func(tx Tx) error {
			unchecked = nil // a write may run more than once (boltdb.Committer)
			m, err := getMember(tx, patch.ID)
			if err != nil {
				return err
			}
			if err := etag.Check(tag, m.Revision, m.Name()); err != nil {
				return err
			}
			if m.State == members.Withdrawn {
				return fault.New(fault.FailedPrecondition, ReasonMemberWithdrawn, "%s is withdrawn and can no longer change", m.Name())
			}
			if err := selfUpdateLimits(ctx, memberUpdate.Changed(m, &patch, paths)); err != nil {
				return err
			}
			stored := *m
			if err := memberUpdate.Apply(m, &patch, paths); err != nil {
				return err
			}
			if err := s.validateMember(tx, m, memberUpdate.Changed(&stored, m, paths)); err != nil {
				return err
			}
			for _, id := range removedStudios(stored.Studios, m.Studios) {
				if !checked[id] {
					unchecked = append(unchecked, id)
				}
			}
			if len(unchecked) > 0 {
				return errStudiosToCheck
			}
			return s.put(tx, m, &out)
		})
		if !errors.Is(err, errStudiosToCheck) {
			return out, err
		}
		for _, id := range unchecked {
			if err := s.studioIsFree(ctx, patch.ID, id); err != nil {
				return nil, err
			}
			checked[id] = true
		}
	}
	return nil, fault.New(fault.Aborted, ReasonConcurrentChange,
		"%s kept changing while its studios were checked; read it again and retry", MemberName(patch.ID))
}

// maxStudioChecks bounds the rounds of UpdateMember: each round checks at
// least one more studio, so only members changed meanwhile need a second.
const maxStudioChecks = 4

var errStudiosToCheck = errors.New("studios to check")

func (s *Service) put(tx Tx, m *Member, out **Member) error {
	m.UpdateTime = s.stamp()
	m.Revision++
	if err := tx.PutMember(m); err != nil {
		return err
	}
	*out = m
	return nil
}

func (s *Service) changeState(id, tag, reason string, t transition) (*Member, error) {
	var out *Member
	err := s.repo.Update(func(tx Tx) error {
		m, err := getMember(tx, id)
		if err != nil {
			return err
		}
		if err := etag.Check(tag, m.Revision, m.Name()); err != nil {
			return err
		}
		if err := t.apply(m); err != nil {
			return err
		}
		m.StateReason = reason
		return s.put(tx, m, &out)
	})
	return out, err
}

// SuspendMember moves an ACTIVE member to SUSPENDED.
func (s *Service) SuspendMember(id, reason, tag string) (*Member, error) {
	return s.changeState(id, tag, reason, suspend)
}

// ReinstateMember moves a SUSPENDED member back to ACTIVE.
func (s *Service) ReinstateMember(id, tag string) (*Member, error) {
	return s.changeState(id, tag, "", reinstate)
}

// WithdrawMember moves a member to WITHDRAWN for good.
func (s *Service) WithdrawMember(id, reason, tag string) (*Member, error) {
	return s.changeState(id, tag, reason, withdraw)
}

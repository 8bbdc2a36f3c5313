package scheduling

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cqlive/alliance/services/kit/fault"
	"github.com/cqlive/alliance/services/kit/members"
)

// SlotQuery asks for bookable slots of exactly Duration in [From, To), in
// Studio or in every studio of Base, for Host when given: at most Limit,
// starting on a grid of Step from local midnight of From's day.
type SlotQuery struct {
	Studio, Base, Host string
	Duration, Step     time.Duration
	From, To           time.Time
	Limit              int
}

// Slot is a bookable slot in one studio.
type Slot struct {
	Studio     string
	Start, End time.Time
}

// The bounds of a slot query.
const (
	DefaultSlotStep = 30 * time.Minute
	MinSlotStep     = 5 * time.Minute
	MaxSlotStep     = 24 * time.Hour
)

// checkSpan checks an interval given by two fields (named with prefix):
// both set, the end after the start. It is true when the interval is one,
// for the checks of its length.
func checkSpan(v *fault.Invalid, prefix, startField, endField string, start, end time.Time) bool {
	switch {
	case start.IsZero():
		v.Add(prefix+startField, "is required")
	case end.IsZero():
		v.Add(prefix+endField, "is required")
	case !end.After(start):
		v.Add(prefix+endField, "must be after %s", startField)
	default:
		return true
	}
	return false
}

// checkScope checks the scope shared by the slot and utilisation queries:
// exactly one of a studio or a whole base, each well formed.
func checkScope(v *fault.Invalid, studio, base string) {
	switch {
	case studio == "" && base == "":
		v.Add("studio", "give a studio or a base")
	case studio != "" && base != "":
		v.Add("base", "give a studio or a base, not both")
	case studio != "":
		if _, _, ok := ParseStudioName(studio); !ok {
			v.Add("studio", "must be a studio name members/{base}/studios/{studio}, got %q", studio)
		}
	default:
		if !ValidMemberName(base) {
			v.Add("base", "must be a member name members/{base}, got %q", base)
		}
	}
}

func (r Rules) validateSlots(q *SlotQuery) error {
	var v fault.Invalid
	checkScope(&v, q.Studio, q.Base)
	if q.Host != "" && !ValidMemberName(q.Host) {
		v.Add("host", "must be a member name members/{host}, got %q", q.Host)
	}
	if q.Duration < r.MinLength || q.Duration > r.MaxLength {
		v.Add("duration", "must be a bookable length between %s and %s, got %s", r.MinLength, r.MaxLength, q.Duration)
	}
	if q.Step == 0 {
		q.Step = DefaultSlotStep
	}
	if q.Step < MinSlotStep || q.Step > MaxSlotStep || q.Step%time.Minute != 0 {
		v.Add("step", "must be whole minutes between %s and %s, got %s", MinSlotStep, MaxSlotStep, q.Step)
	}
	if checkSpan(&v, "", "window_start", "window_end", q.From, q.To) && q.To.Sub(q.From) > MaxSlotWindow {
		v.Add("window_end", "the window may span at most %s, got %s", MaxSlotWindow, q.To.Sub(q.From))
	}
	return v.Err()
}

// FindAvailableSlots returns up to q.Limit slots that a booking of
// q.Duration could take, ordered by start time, then studio. A candidate
// is every start on the grid inside the window, from now on and at most
// the booking horizon ahead, and it is a slot when the booking rules
// admit a session there, by the same functions a booking runs: the
// studio's rules of time (opening hours, blackouts, notice, advance),
// Clash against every session that blocks (requests waiting for approval
// too), with the studio's own buffer, and, for a given host, its sessions
// and the studio's quotas.
func (svc *Service) FindAvailableSlots(ctx context.Context, q SlotQuery) ([]Slot, error) {
	if err := svc.rules.validateSlots(&q); err != nil {
		return nil, err
	}
	studios, err := svc.studiosOf(ctx, q.Studio, q.Base, true)
	if err != nil {
		return nil, err
	}
	var agency string
	if q.Host != "" {
		host, err := svc.slotHost(ctx, q.Host)
		if err != nil {
			return nil, err
		}
		agency = host.Agency
	}
	var out []Slot
	err = svc.read(func(w *work) error {
		out = nil
		longest, err := w.tx.Longest()
		if err != nil {
			return err
		}
		quotas := map[string]error{} // base and local day -> checkQuotas' answer
		for _, studio := range studios {
			got, err := w.slots(q, studio, agency, longest, quotas)
			if err != nil {
				return err
			}
			out = append(out, got...)
		}
		return nil
	})
	slices.SortStableFunc(out, func(a, b Slot) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return strings.Compare(a.Studio, b.Studio)
	})
	return out[:min(len(out), q.Limit)], err
}

// slots are the first q.Limit slots of one studio.
func (w *work) slots(q SlotQuery, studio, agency string, longest time.Duration, quotas map[string]error) ([]Slot, error) {
	r := w.svc.rules
	p, err := w.policy(studio)
	if err != nil {
		return nil, err
	}
	buffer := r.buffer(p)
	first := q.From
	if first.Before(w.now) {
		first = w.now
	}
	last := q.To.Add(-q.Duration) // the latest start
	if limit := w.now.Add(r.Horizon); last.After(limit) {
		last = limit
	}
	if first.After(last) {
		return nil, nil
	}
	// The sessions a candidate may meet, by start: the studio's and the host's.
	var near []*Session
	seen := map[string]bool{}
	collect := func(s *Session) bool {
		if s.State.Blocks() && !seen[s.ID] {
			seen[s.ID] = true
			near = append(near, s)
		}
		return true
	}
	if err := w.sessions(Scan{Studio: studio, From: first.Add(-buffer - longest), To: last.Add(q.Duration + buffer)}, collect); err != nil {
		return nil, err
	}
	if q.Host != "" {
		if err := w.sessions(Scan{Host: q.Host, From: first.Add(-longest), To: last.Add(q.Duration)}, collect); err != nil {
			return nil, err
		}
	}
	slices.SortFunc(near, func(a, b *Session) int { return a.Start.Compare(b.Start) })

	local := q.From.In(r.zone())
	grid := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, r.zone())
	t := grid.Add((first.Sub(grid) + q.Step - 1) / q.Step * q.Step)
	var out []Slot
	lo := 0
	for ; !t.After(last) && len(out) < q.Limit; t = t.Add(q.Step) {
		cand := Session{Host: q.Host, Studio: studio, Agency: agency, Start: t, End: t.Add(q.Duration), State: StateScheduled}
		if r.checkTimes(p, &cand, w.now) != nil {
			continue
		}
		for lo < len(near) && near[lo].Start.Before(t.Add(-longest-buffer)) {
			lo++
		}
		free := true
		for _, o := range near[lo:] {
			if !o.Start.Before(cand.End.Add(buffer)) {
				break
			}
			if Clash(&cand, o, buffer) != NoConflict {
				free = false
				break
			}
		}
		if !free {
			continue
		}
		if q.Host != "" {
			day, _ := dayOf(t, r.zone())
			key := cand.Base() + " " + day.Format(time.DateOnly)
			verdict, ok := quotas[key]
			if !ok {
				verdict = w.checkQuotas(&cand, p, false)
				if verdict != nil && !fault.Is(verdict, ReasonQuotaExceeded) {
					return nil, verdict
				}
				quotas[key] = verdict
			}
			if verdict != nil {
				continue
			}
		}
		out = append(out, Slot{Studio: studio, Start: cand.Start, End: cand.End})
	}
	return out, nil
}

// studiosOf checks a studio, or a base, with the registry and returns the
// studios it names; with active, only those of an ACTIVE base.
func (svc *Service) studiosOf(ctx context.Context, studio, base string, active bool) ([]string, error) {
	if studio != "" {
		base, _, _ = ParseStudioName(studio)
	}
	list, err := svc.dir.BatchGet(ctx, []string{base})
	if _, gone := err.(*MissingMember); gone {
		if studio != "" {
			return nil, studioNotFound(studio)
		}
		return nil, fault.New(fault.NotFound, ReasonStudioNotFound, "base %s not found, so it has no studios", base).With("name", base)
	}
	if err != nil {
		return nil, err
	}
	b := list[0]
	if studio != "" {
		return []string{studio}, checkStudio(b, studio, active)
	}
	if b.Kind != members.Base {
		return nil, fault.New(fault.FailedPrecondition, ReasonWrongMemberKind, "%s is a %s, not a BASE", base, b.Kind).With("name", base)
	}
	if active && b.State != members.Active {
		return nil, fault.New(fault.FailedPrecondition, ReasonBaseNotActive,
			"base %s is %s; only the studios of ACTIVE bases can be booked", base, b.State).With("name", base)
	}
	studios := make([]string, 0, len(b.Studios))
	for _, id := range b.Studios {
		studios = append(studios, fmt.Sprintf("%s/studios/%s", base, id))
	}
	return studios, nil
}

// slotHost checks the host of a slot query with the registry.
func (svc *Service) slotHost(ctx context.Context, name string) (Member, error) {
	list, err := svc.dir.BatchGet(ctx, []string{name})
	if _, gone := err.(*MissingMember); gone {
		return Member{}, fault.New(fault.NotFound, ReasonHostNotFound, "host %s not found", name).With("name", name)
	}
	if err != nil {
		return Member{}, err
	}
	return list[0], checkHost(list[0], true)
}

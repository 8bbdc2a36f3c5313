package scheduling

import (
	"context"
	"fmt"
	"github.com/cqlive/alliance/services/kit/members"
	"slices"
	"time"

	"github.com/cqlive/alliance/services/kit/fault"
)

// SlotQuery asks for free intervals of at least Duration in [From, To), in
// Studio or in every studio of Base, avoiding Host's sessions when given.
type SlotQuery struct {
	Studio, Base, Host string
	Duration           time.Duration
	From, To           time.Time
}

// Slot is a free interval in one studio.
type Slot struct {
	Studio     string
	Start, End time.Time
}

func (r Rules) validateSlots(q SlotQuery) error {
	var v fault.Invalid
	switch {
	case q.Studio == "" && q.Base == "":
		v.Add("studio", "give a studio or a base")
	case q.Studio != "" && q.Base != "":
		v.Add("base", "give a studio or a base, not both")
	case q.Studio != "":
		if _, _, ok := ParseStudioName(q.Studio); !ok {
			v.Add("studio", "must be a studio name members/{base}/studios/{studio}, got %q", q.Studio)
		}
	default:
		if !ValidMemberName(q.Base) {
			v.Add("base", "must be a member name members/{base}, got %q", q.Base)
		}
	}
	if q.Host != "" && !ValidMemberName(q.Host) {
		v.Add("host", "must be a member name members/{host}, got %q", q.Host)
	}
	if q.Duration < r.MinLength || q.Duration > r.MaxLength {
		v.Add("duration", "must be a bookable length between %s and %s, got %s", r.MinLength, r.MaxLength, q.Duration)
	}
	switch {
	case q.From.IsZero():
		v.Add("window_start", "is required")
	case q.To.IsZero():
		v.Add("window_end", "is required")
	case !q.To.After(q.From):
		v.Add("window_end", "must be after window_start")
	case q.To.Sub(q.From) > MaxSlotWindow:
		v.Add("window_end", "the window may span at most %s, got %s", MaxSlotWindow, q.To.Sub(q.From))
	}
	return v.Err()
}

// FindAvailableSlots returns the free intervals of at least q.Duration,
// ordered by start time, then studio. A slot never begins in the past nor
// beyond the booking horizon: the window is cut at the present, rounded up
// to the minute, and at the horizon plus the duration.
func (svc *Service) FindAvailableSlots(ctx context.Context, q SlotQuery) ([]Slot, error) {
	if err := svc.rules.validateSlots(q); err != nil {
		return nil, err
	}
	studios, err := svc.slotStudios(ctx, q)
	if err != nil {
		return nil, err
	}
	from := q.From
	now := svc.stamp()
	if m := now.Truncate(time.Minute); m.Before(now) {
		now = m.Add(time.Minute)
	}
	if from.Before(now) {
		from = now
	}
	// Nor beyond the booking horizon: a slot starts where a session of
	// its duration can still be booked.
	if limit := now.Add(svc.rules.Horizon + q.Duration); q.To.After(limit) {
		q.To = limit
	}
	if !from.Before(q.To) {
		return nil, nil
	}
	buffer := svc.rules.ChangeoverBuffer
	var out []Slot
	err = svc.repo.View(func(tx Tx) error {
		longest, err := tx.Longest()
		if err != nil {
			return err
		}
		type span struct{ start, end time.Time }
		var hostBusy []span
		if q.Host != "" {
			err := tx.Sessions(Scan{Host: q.Host, From: from.Add(-longest), To: q.To}, func(o *Session) bool {
				if o.State.Blocks() {
					hostBusy = append(hostBusy, span{o.Start, o.End})
				}
				return true
			})
			if err != nil {
				return err
			}
		}
		for _, studio := range studios {
			busy := slices.Clone(hostBusy)
			// A studio session keeps the buffer free on both of its sides.
			err := tx.Sessions(Scan{Studio: studio, From: from.Add(-buffer - longest), To: q.To.Add(buffer)}, func(o *Session) bool {
				if o.State.Blocks() {
					busy = append(busy, span{o.Start.Add(-buffer), o.End.Add(buffer)})
				}
				return true
			})
			if err != nil {
				return err
			}
			slices.SortFunc(busy, func(a, b span) int { return a.start.Compare(b.start) })
			t := from
			for _, b := range busy {
				if b.start.After(t) {
					end := minTime(b.start, q.To)
					if end.Sub(t) >= q.Duration {
						out = append(out, Slot{Studio: studio, Start: t, End: end})
					}
				}
				if b.end.After(t) {
					t = b.end
				}
				if !t.Before(q.To) {
					break
				}
			}
			if q.To.Sub(t) >= q.Duration {
				out = append(out, Slot{Studio: studio, Start: t, End: q.To})
			}
		}
		return nil
	})
	slices.SortStableFunc(out, func(a, b Slot) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return compareStrings(a.Studio, b.Studio)
	})
	return out, err
}

// slotStudios checks the studio, base and host of a slot query with the
// registry and returns the studios to search.
func (svc *Service) slotStudios(ctx context.Context, q SlotQuery) ([]string, error) {
	base := q.Base
	if q.Studio != "" {
		base, _, _ = ParseStudioName(q.Studio)
	}
	names := []string{base}
	if q.Host != "" && q.Host != base {
		names = append(names, q.Host)
	}
	list, err := svc.dir.BatchGet(ctx, names)
	if miss, ok := err.(*MissingMember); ok {
		switch {
		case miss.Name == q.Host:
			return nil, fault.New(fault.NotFound, ReasonHostNotFound, "host %s not found", q.Host).With("name", q.Host)
		case q.Studio != "":
			return nil, studioNotFound(q.Studio)
		default:
			return nil, fault.New(fault.NotFound, ReasonStudioNotFound, "base %s not found, so it has no studios", base).With("name", base)
		}
	}
	if err != nil {
		return nil, err
	}
	got := map[string]Member{}
	for _, m := range list {
		got[m.Name] = m
	}
	if q.Host != "" {
		if err := checkHost(got[q.Host], true); err != nil {
			return nil, err
		}
	}
	b := got[base]
	if q.Studio != "" {
		return []string{q.Studio}, checkStudio(b, q.Studio, true)
	}
	if b.Kind != members.Base {
		return nil, fault.New(fault.FailedPrecondition, ReasonWrongMemberKind, "%s is a %s, not a BASE", base, b.Kind).With("name", base)
	}
	studios := make([]string, 0, len(b.Studios))
	for _, id := range b.Studios {
		studios = append(studios, fmt.Sprintf("%s/studios/%s", base, id))
	}
	if b.State != members.Active {
		return nil, fault.New(fault.FailedPrecondition, ReasonBaseNotActive,
			"base %s is %s; only the studios of ACTIVE bases can be booked", base, b.State).With("name", base)
	}
	return studios, nil
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

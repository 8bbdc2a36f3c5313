package scheduling

import (
	"context"
	"strings"
	"time"

	"github.com/cqlive/alliance/services/kit/etag"
	"github.com/cqlive/alliance/services/kit/fault"
)

// checkStudioExists asks the registry whether studio is a studio of a
// BASE (of any state: a suspended base's policy still reads and changes).
func (svc *Service) checkStudioExists(ctx context.Context, studio string) error {
	base, _, _ := ParseStudioName(studio)
	got, err := svc.dir.BatchGet(ctx, []string{base})
	if _, gone := err.(*MissingMember); gone {
		return studioNotFound(studio)
	}
	if err != nil {
		return err
	}
	return checkStudio(got[0], studio, false)
}

// GetStudioPolicy returns the studio's policy: the default one (revision
// 0) when it never had one.
func (svc *Service) GetStudioPolicy(ctx context.Context, studio string) (*Policy, error) {
	if !callerOf(ctx).known() {
		return nil, errNoCaller
	}
	if err := svc.checkStudioExists(ctx, studio); err != nil {
		return nil, err
	}
	var out *Policy
	err := svc.repo.View(func(tx Tx) error {
		p, err := svc.newWork(tx, time.Time{}).policy(studio)
		out = p
		return err
	})
	return out, err
}

// maxListed bounds the sessions a refusal names.
const maxListed = 20

// UpdateStudioPolicy changes a studio's policy, by its base or the
// alliance's staff, with AIP-134 paths and an etag. In the same write
// transaction it looks for the sessions that hold the studio (SCHEDULED,
// LIVE, PENDING_APPROVAL) under a blackout of the new policy: a LIVE one
// refuses the change, and so do the others unless cancelConflicts asks to
// cancel each of them with the blackout's reason. Nothing else of a
// policy touches bookings already made.
func (svc *Service) UpdateStudioPolicy(ctx context.Context, patch Policy, mask []string, tag string, cancelConflicts bool) (*Policy, error) {
	paths, err := policyUpdate.Resolve(mask, &patch)
	if err != nil {
		return nil, err
	}
	if err := mayChangePolicy(callerOf(ctx), patch.Studio); err != nil {
		return nil, err
	}
	if err := svc.checkStudioExists(ctx, patch.Studio); err != nil {
		return nil, err
	}
	return written(svc, func(w *work) (*Policy, error) {
		cur, err := w.policy(patch.Studio)
		if err != nil {
			return nil, err
		}
		if err := etag.Check(tag, cur.Revision, PolicyName(patch.Studio)); err != nil {
			return nil, err
		}
		next := *cur
		if err := policyUpdate.Apply(&next, &patch, paths); err != nil {
			return nil, err
		}
		if err := w.svc.rules.validatePolicy(&next); err != nil {
			return nil, err
		}
		if err := w.clearBlackouts(&next, cancelConflicts); err != nil {
			return nil, err
		}
		next.UpdateTime = w.now
		next.Revision++
		if err := w.tx.PutPolicy(&next); err != nil {
			return nil, err
		}
		return &next, nil
	})
}

// clearBlackouts finds the sessions in the way of p's blackouts and
// refuses them or (cancel) cancels them.
func (w *work) clearBlackouts(p *Policy, cancel bool) error {
	longest, err := w.tx.Longest()
	if err != nil {
		return err
	}
	type hit struct {
		s *Session
		b Blackout
	}
	var hits []hit
	seen := map[string]bool{}
	for _, b := range p.Blackouts {
		err := w.sessions(Scan{Studio: p.Studio, From: b.Start.Add(-longest), To: b.End}, func(s *Session) bool {
			if s.State.Blocks() && !seen[s.ID] && overlaps(s.Start, s.End, b.Start, b.End, 0) {
				seen[s.ID] = true
				hits = append(hits, hit{s, b})
			}
			return true
		})
		if err != nil {
			return err
		}
	}
	if len(hits) == 0 {
		return nil
	}
	var live, names []string
	for _, h := range hits {
		if h.s.State == StateLive {
			live = append(live, h.s.Name())
		}
		names = append(names, h.s.Name())
	}
	switch {
	case len(live) > 0:
		return inTheWay(p.Studio, live, "is LIVE and cannot be cancelled: end it first, or let the blackout begin after it")
	case !cancel:
		return inTheWay(p.Studio, names, "holds the studio during a blackout: cancel or move it, or ask to cancel the sessions in the way (cancel_conflicting_sessions)")
	}
	for _, h := range hits {
		c := *h.s
		c.State, c.CancelReason, c.UpdateTime = StateCancelled, h.b.Reason, w.now
		c.Revision++
		if err := w.put(&c); err != nil {
			return err
		}
	}
	return nil
}

func inTheWay(studio string, names []string, why string) error {
	listed := names[:min(len(names), maxListed)]
	more := ""
	if len(names) > len(listed) {
		more = " and more"
	}
	return fault.New(fault.FailedPrecondition, ReasonStudioHasSessions,
		"%d session(s) of %s are in the way of a blackout (%s%s): each %s", len(names), studio, strings.Join(listed, ", "), more, why).
		With("sessions", strings.Join(listed, ",")).With("studio", studio)
}

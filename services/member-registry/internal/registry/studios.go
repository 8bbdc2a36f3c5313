package registry

import (
	"context"
	"slices"

	"github.com/cqlive/alliance/services/kit/fault"
)

// Bookings is what the registry asks session-scheduling before a studio
// goes: whether sessions still need it.
type Bookings interface {
	// ActiveSession returns the name of a SCHEDULED, LIVE or PENDING_APPROVAL session in the
	// studio (members/{base}/studios/{id}), or "" when there is none. An
	// error means the answer is unknown: a fault.Unavailable when
	// session-scheduling cannot be reached.
	ActiveSession(ctx context.Context, studio string) (string, error)
}

// noBookings is the answer of a registry that has no session-scheduling
// to ask: it cannot know, so it never lets a studio go.
type noBookings struct{}

func (noBookings) ActiveSession(context.Context, string) (string, error) {
	return "", fault.New(fault.Unavailable, fault.ReasonDependencyUnavailable,
		"session-scheduling is not configured, so no studio can be removed; nothing was changed").With("service", "session-scheduling")
}

// StudioName is members/{base}/studios/{studio}.
func StudioName(baseID, studioID string) string { return MemberName(baseID) + "/studios/" + studioID }

// removedStudios lists the ids of before that after no longer has.
func removedStudios(before, after []Studio) []string {
	var out []string
	for _, b := range before {
		if !slices.ContainsFunc(after, func(a Studio) bool { return a.ID == b.ID }) {
			out = append(out, b.ID)
		}
	}
	return out
}

// studioIsFree is the rule: a studio with a SCHEDULED, LIVE or PENDING_APPROVAL session
// stays. Its sessions must be cancelled (or moved) first.
func (s *Service) studioIsFree(ctx context.Context, baseID, studioID string) error {
	studio := StudioName(baseID, studioID)
	session, err := s.bookings.ActiveSession(ctx, studio)
	if err != nil {
		return err
	}
	if session != "" {
		return fault.New(fault.FailedPrecondition, ReasonStudioHasSessions,
			"%s still has session %s (SCHEDULED, LIVE or waiting for approval); cancel, decline or move its sessions before removing the studio", studio, session).
			With("studio", studio).With("session", session)
	}
	return nil
}

// Package etag is the suite's one etag rule (AIP-154): a resource's etag
// names one revision of it, and a write that sends an etag applies only to
// that revision.
package etag

import (
	"strconv"

	"github.com/cqlive/alliance/services/kit/fault"
)

// Of renders a resource revision as its etag. Revisions only grow, so an
// etag names one state of a resource and never comes back.
func Of(revision uint64) string { return "r" + strconv.FormatUint(revision, 36) }

// Check is nil when the caller sent no etag or the etag of revision, the
// current one; otherwise ABORTED, reason ETAG_MISMATCH, naming the
// resource (name) so that the caller knows what to read again.
func Check(given string, revision uint64, name string) error {
	if given != "" && given != Of(revision) {
		return fault.New(fault.Aborted, fault.ReasonETagMismatch,
			"%s changed since etag %q was read; read it again and retry", name, given)
	}
	return nil
}

package scheduling

import (
	"testing"

	sessionv1 "github.com/cqlive/alliance/gen/pb/alliance/session/v1"
	"github.com/cqlive/alliance/services/kit/fault/reasontest"
)

// TestReasonsAreTheProtoEnum: the reasons the scheduler gives are the
// values of alliance.session.v1.ErrorReason, both ways.
func TestReasonsAreTheProtoEnum(t *testing.T) {
	reasontest.Equal(t, Reasons(), sessionv1.ErrorReason(0).Descriptor())
}

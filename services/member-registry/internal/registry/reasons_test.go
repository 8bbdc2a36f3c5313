package registry

import (
	"testing"

	memberv1 "github.com/cqlive/alliance/gen/pb/alliance/member/v1"
	"github.com/cqlive/alliance/services/kit/fault/reasontest"
)

// TestReasonsAreTheProtoEnum: the reasons the registry gives are the
// values of alliance.member.v1.ErrorReason, both ways.
func TestReasonsAreTheProtoEnum(t *testing.T) {
	reasontest.Equal(t, Reasons(), memberv1.ErrorReason(0).Descriptor())
}

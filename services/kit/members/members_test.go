package members_test

import (
	"testing"

	memberv1 "github.com/cqlive/alliance/gen/pb/alliance/member/v1"
	"github.com/cqlive/alliance/services/kit/members"
	"github.com/cqlive/alliance/services/kit/protoconv"
)

// TestTheNumbersAreTheAPIs: adapters convert kinds and states by number,
// so each must name the value of alliance.member.v1 with its number.
func TestTheNumbersAreTheAPIs(t *testing.T) {
	for k := members.Host; k <= members.DistrictOffice; k++ {
		if want := protoconv.EnumName(memberv1.MemberKind(k)); k.String() != want {
			t.Errorf("kind %d is %s, the API's %s", int(k), k, want)
		}
	}
	for s := members.Active; s <= members.Withdrawn; s++ {
		if want := protoconv.EnumName(memberv1.MemberState(s)); s.String() != want {
			t.Errorf("state %d is %s, the API's %s", int(s), s, want)
		}
	}
	if members.Kind(len(memberv1.MemberKind_name)).String() != "UNKNOWN" || members.State(-1).String() != "UNKNOWN" {
		t.Fatal("a number outside the API must read as UNKNOWN")
	}
}

package fault_test

import (
	"testing"

	typev1 "github.com/cqlive/alliance/gen/pb/alliance/type/v1"
	"github.com/cqlive/alliance/services/kit/fault"
	"github.com/cqlive/alliance/services/kit/fault/reasontest"
)

// TestTheSuitesReasonsAreTheProtoEnum: every reason the kit and the
// gateway give is a value of alliance.type.v1.ErrorReason, and every value
// is one they can give.
func TestTheSuitesReasonsAreTheProtoEnum(t *testing.T) {
	reasontest.Equal(t, fault.SuiteReasons(), typev1.ErrorReason(0).Descriptor())
}

func TestAReasonIsDefinedOnce(t *testing.T) {
	for name, define := range map[string]func(*fault.Reasons){
		"not UPPER_SNAKE":               func(rs *fault.Reasons) { rs.Define("etag_mismatch") },
		"twice in one list":             func(rs *fault.Reasons) { rs.Define("A_REASON"); rs.Define("A_REASON") },
		"a service's copy of a suite's": func(rs *fault.Reasons) { rs.Define("PERMISSION_DENIED") },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("accepted")
				}
			}()
			define(&fault.Reasons{})
		})
	}
	var rs fault.Reasons
	a, b := rs.Define("FIRST_REASON"), rs.Define("SECOND_REASON")
	if all := rs.All(); len(all) != 2 || all[0] != a || all[1] != b || a.String() != "FIRST_REASON" {
		t.Fatalf("All = %v", all)
	}
}

func TestCodesAreGoogleRPCCodes(t *testing.T) {
	for c, want := range map[fault.Code]string{
		fault.Internal: "INTERNAL", fault.InvalidArgument: "INVALID_ARGUMENT", fault.PermissionDenied: "PERMISSION_DENIED",
		fault.Unauthenticated: "UNAUTHENTICATED", fault.ResourceExhausted: "RESOURCE_EXHAUSTED", fault.Code(99): "Code(99)",
	} {
		if got := c.String(); got != want {
			t.Errorf("%d: %q, want %q", int(c), got, want)
		}
	}
	if fault.Code(99).RPC() != fault.Internal.RPC() || fault.CodeReason(0) != fault.CodeReason(2) || fault.CodeReason(1).String() != "CANCELLED" {
		t.Fatal("codes outside the list must read as INTERNAL, reasons outside google.rpc.Code as UNKNOWN")
	}
}

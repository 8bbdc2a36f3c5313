// Package reasontest checks a list of reasons against the proto enum that
// publishes it, for the test each list has.
package reasontest

import (
	"slices"
	"strings"
	"testing"

	"github.com/cqlive/alliance/services/kit/fault"
	"github.com/cqlive/alliance/services/kit/protoconv"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Equal fails t unless the reasons and the values of enum (an
// ErrorReason: without their ERROR_REASON_ prefix, and without the zero
// value) are the same names, both ways: a reason the code gives must be
// in the API, and a reason the API promises must be one the code gives.
func Equal(t testing.TB, reasons []fault.Reason, enum protoreflect.EnumDescriptor) {
	t.Helper()
	var code, api []string
	for _, r := range reasons {
		code = append(code, r.String())
	}
	values := enum.Values()
	for i := range values.Len() {
		v := values.Get(i)
		if v.Number() == 0 {
			continue
		}
		if !strings.HasPrefix(string(v.Name()), "ERROR_REASON_") {
			t.Errorf("%s: value %s is not ERROR_REASON_<REASON>", enum.FullName(), v.Name())
		}
		api = append(api, protoconv.ValueName(enum, v.Number()))
	}
	for _, n := range code {
		if !slices.Contains(api, n) {
			t.Errorf("reason %s is given by the code but missing from %s: add ERROR_REASON_%s to the proto", n, enum.FullName(), n)
		}
	}
	for _, n := range api {
		if !slices.Contains(code, n) {
			t.Errorf("ERROR_REASON_%s is in %s but no code defines reason %s", n, enum.FullName(), n)
		}
	}
}

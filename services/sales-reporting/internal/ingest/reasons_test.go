package ingest

import (
	"testing"

	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	"github.com/cqlive/alliance/services/kit/fault/reasontest"
)

// TestReasonsAreTheProtoEnum: the reasons sales reporting gives are the
// values of alliance.sales.v1.ErrorReason, both ways.
func TestReasonsAreTheProtoEnum(t *testing.T) {
	reasontest.Equal(t, Reasons(), salesv1.ErrorReason(0).Descriptor())
}

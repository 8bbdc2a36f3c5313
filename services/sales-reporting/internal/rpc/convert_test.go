package rpc

import (
	"testing"

	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	"github.com/cqlive/alliance/services/sales-reporting/internal/report"
)

// TestKindsConvertByNumber: the adapter converts a sale's kind by number,
// so each of report.Kind must be the SaleKind of that number.
func TestKindsConvertByNumber(t *testing.T) {
	for k, want := range map[report.Kind]salesv1.SaleKind{report.Order: salesv1.SaleKind_SALE_KIND_ORDER, report.Refund: salesv1.SaleKind_SALE_KIND_REFUND} {
		if kindToProto(k) != want || kindFromProto(want) != k {
			t.Errorf("%d converts to %v and back to %d", k, kindToProto(k), kindFromProto(want))
		}
	}
	if k := kindFromProto(salesv1.SaleKind_SALE_KIND_UNSPECIFIED); k == report.Order || k == report.Refund {
		t.Fatal("an unspecified kind must be neither ORDER nor REFUND, so that ingestion refuses it")
	}
}

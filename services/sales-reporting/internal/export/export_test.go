package export

import (
	"strings"
	"testing"

	"github.com/cqlive/alliance/services/sales-reporting/internal/report"
)

func TestYuanIsExactWithTwoDecimals(t *testing.T) {
	for fen, want := range map[int64]string{0: "0.00", 5: "0.05", 12345: "123.45", -5: "-0.05", 100: "1.00",
		9223372036854775807: "92233720368547758.07", -9223372036854775808: "-92233720368547758.08"} {
		if got := Yuan(fen); got != want {
			t.Errorf("Yuan(%d) = %q, want %q", fen, got, want)
		}
	}
}

func TestCSVKeepsFormulaLikeTextAsText(t *testing.T) {
	for in, want := range map[string]string{
		"=1+1": "'=1+1", "+86 138": "'+86 138", "-Li-": "'-Li-", "@me": "'@me", "\t=1": "'\t=1", "\r=1": "'\r=1",
		"": "", "李主播": "李主播", "a=b": "a=b", "'quoted": "'quoted", "2026-03-01": "2026-03-01",
	} {
		if got := csvText(in); got != want {
			t.Errorf("csvText(%q) = %q, want %q", in, got, want)
		}
	}
	var b strings.Builder
	tab := &Table{Rows: []report.Row{{Keys: []string{"k"}, Metrics: report.Metrics{Net: -5, Refunds: 5}}},
		Dims: []Column{{Name: "host", Display: func(string) string { return "=cmd" }}}}
	if err := WriteCSV(&b, tab); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), ",'=cmd,") || !strings.Contains(b.String(), ",-0.05,-5,") {
		t.Fatalf("the name should be text and the negative net a number:\n%s", b.String())
	}
}

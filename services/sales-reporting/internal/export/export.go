// Package export writes a report as a file people open in a spreadsheet:
// CSV (UTF-8 with a byte-order mark, which Excel needs to show Chinese
// names) or XLSX (github.com/xuri/excelize/v2's stream writer). Both hold
// the same table: the period, each dimension's key and display name, the
// figures (money in yuan with two decimals beside the exact fen), a totals
// row, and the data_through line. Rows are written one at a time to w, so
// what the export holds besides the report's rows is one row and the
// writer's buffer (XLSX: excelize's stream writer, which spills to a
// temporary file beyond its memory bound).
package export

import (
	"archive/zip"
	"compress/flate"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/cqlive/alliance/services/sales-reporting/internal/report"
	"github.com/xuri/excelize/v2"
)

// Formats.
const (
	CSV  = "CSV"
	XLSX = "XLSX"
)

// ContentType of each format.
var ContentType = map[string]string{
	CSV:  "text/csv; charset=utf-8",
	XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

// Column is one group_by dimension of the table: its name in the header
// (e.g. "district") and the display name of each key.
type Column struct {
	Name    string
	Display func(key string) string
}

// Table is what an export writes.
type Table struct {
	Dims        []Column
	Rows        []report.Row
	Totals      report.Metrics
	DataThrough time.Time
}

// Header is the table's first row.
func (t *Table) Header() []string {
	h := []string{"period_start", "period_end"}
	for _, d := range t.Dims {
		h = append(h, d.Name, d.Name+"_name")
	}
	return append(h, "sessions", "orders", "units",
		"gross_yuan", "gross_fen", "refunds_yuan", "refunds_fen", "net_yuan", "net_fen",
		"average_order_value_yuan", "average_order_value_fen",
		"views", "viewers", "peak_concurrent_viewers", "product_impressions", "product_clicks",
		"gpm_yuan", "gpm_fen", "conversion_rate", "click_through_rate", "average_view_duration_seconds")
}

// cell is one value: text, an integer, yuan (from fen) or a ratio. Each
// writer renders it its own way (CSV as text, XLSX as a typed cell), so
// nothing is formatted that the format does not show.
type cell struct {
	kind uint8
	s    string
	i    int64
	f    float64
}

const (
	kText uint8 = iota
	kInt
	kYuan
	kRatio
)

func text(s string) cell   { return cell{kind: kText, s: s} }
func num(v int64) cell     { return cell{kind: kInt, i: v} }
func yuan(fen int64) cell  { return cell{kind: kYuan, i: fen} }
func ratio(v float64) cell { return cell{kind: kRatio, f: v} }

// appendText appends the cell as CSV shows it.
func (c cell) appendText(b []byte) []byte {
	switch c.kind {
	case kInt:
		return strconv.AppendInt(b, c.i, 10)
	case kYuan:
		return appendYuan(b, c.i)
	case kRatio:
		return strconv.AppendFloat(b, c.f, 'f', -1, 64)
	}
	return append(b, c.s...)
}

// value is the cell as XLSX holds it: numbers stay numbers.
func (c cell) value() any {
	switch c.kind {
	case kInt:
		return c.i
	case kYuan:
		return float64(c.i) / 100
	case kRatio:
		return c.f
	}
	return c.s
}

// Yuan is fen as yuan with two decimals, exactly (no float): 12345 is
// "123.45", -5 is "-0.05".
func Yuan(fen int64) string { return string(appendYuan(nil, fen)) }

func appendYuan(b []byte, fen int64) []byte {
	u := uint64(fen)
	if fen < 0 {
		b, u = append(b, '-'), -u
	}
	b = strconv.AppendUint(b, u/100, 10)
	c := u % 100
	return append(b, '.', byte('0'+c/10), byte('0'+c%10))
}

func (t *Table) line(ps, pe string, keys []string, m report.Metrics) []cell {
	out := []cell{text(ps), text(pe)}
	for i, d := range t.Dims {
		k := ""
		if i < len(keys) {
			k = keys[i]
		}
		name := ""
		if k != "" && d.Display != nil {
			name = d.Display(k)
		}
		out = append(out, text(k), text(name))
	}
	tr := m.Traffic
	out = append(out, num(m.Sessions), num(m.Orders), num(m.Units),
		yuan(m.Gross), num(m.Gross), yuan(m.Refunds), num(m.Refunds), yuan(m.Net), num(m.Net),
		yuan(m.AverageOrderValue), num(m.AverageOrderValue),
		num(tr.Views), num(tr.Viewers), num(tr.PeakConcurrentViewers), num(tr.ProductImpressions), num(tr.ProductClicks))
	// Absent measures are empty cells, never a 0 that looks measured.
	if gpm, ok := report.GPM(m.Gross, tr.Views); ok {
		out = append(out, yuan(gpm), num(gpm))
	} else {
		out = append(out, text(""), text(""))
	}
	for _, r := range [][2]int64{{m.Orders, tr.Viewers}, {tr.ProductClicks, tr.ProductImpressions}} {
		if v, ok := report.Ratio(r[0], r[1]); ok {
			out = append(out, ratio(v))
		} else {
			out = append(out, text(""))
		}
	}
	if d, ok := tr.AverageViewDuration(); ok {
		out = append(out, ratio(d.Seconds()))
	} else {
		out = append(out, text(""))
	}
	return out
}

// each calls fn with the header, every row, the totals row and the
// data_through line, in order.
func (t *Table) each(fn func([]cell) error) error {
	var h []cell
	for _, s := range t.Header() {
		h = append(h, text(s))
	}
	if err := fn(h); err != nil {
		return err
	}
	for _, r := range t.Rows {
		if err := fn(t.line(r.PeriodStart.String(), r.PeriodEnd.String(), r.Keys, r.Metrics)); err != nil {
			return err
		}
	}
	if err := fn(t.line("TOTAL", "", nil, t.Totals)); err != nil {
		return err
	}
	through := ""
	if !t.DataThrough.IsZero() {
		through = t.DataThrough.UTC().Format(time.RFC3339Nano)
	}
	return fn([]cell{text("data_through"), text(through)})
}

// WriteCSV writes the table as CSV with a byte-order mark.
func WriteCSV(w io.Writer, t *Table) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	rec := make([]string, 0, 32)
	var buf []byte
	if err := t.each(func(cells []cell) error {
		rec = rec[:0]
		for _, c := range cells {
			if c.kind == kText {
				rec = append(rec, csvText(c.s))
				continue
			}
			buf = c.appendText(buf[:0])
			rec = append(rec, string(buf))
		}
		return cw.Write(rec)
	}); err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// csvText is a text cell as CSV holds it. A spreadsheet opening a CSV
// runs a cell that starts with =, +, - or @ (or a tab or carriage return
// before one) as a formula, and display names are members' own text: such
// a cell gets a leading apostrophe, which keeps it text (OWASP's advice on
// CSV injection). Numbers are not text cells, so a negative figure stays a
// number; XLSX needs none of this, since its text cells are typed.
func csvText(s string) string {
	if s != "" && strings.IndexByte("=+-@\t\r", s[0]) >= 0 {
		return "'" + s
	}
	return s
}

// WriteXLSX writes the table as one sheet of an XLSX workbook.
func WriteXLSX(w io.Writer, t *Table) error {
	f := excelize.NewFile()
	defer f.Close()
	// The workbook's zip at flate's fastest level: deflate took a third of
	// an export's time at the default one, for a file a little smaller.
	f.SetZipWriter(func(w io.Writer) excelize.ZipWriter {
		zw := zip.NewWriter(w)
		zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) { return flate.NewWriter(out, flate.BestSpeed) })
		return zw
	})
	const sheet = "Sheet1"
	if err := f.SetSheetName(sheet, "report"); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter("report")
	if err != nil {
		return err
	}
	// Number format 2 is "0.00": yuan with two decimals.
	money, err := f.NewStyle(&excelize.Style{NumFmt: 2})
	if err != nil {
		return err
	}
	row := 1
	vals := make([]any, 0, 32)
	if err := t.each(func(cells []cell) error {
		vals = vals[:0]
		for _, c := range cells {
			if c.kind == kYuan {
				vals = append(vals, excelize.Cell{StyleID: money, Value: c.value()})
				continue
			}
			vals = append(vals, c.value())
		}
		ref, err := excelize.CoordinatesToCellName(1, row)
		if err != nil {
			return err
		}
		row++
		return sw.SetRow(ref, vals)
	}); err != nil {
		return err
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	_, err = f.WriteTo(w)
	return err
}

// FileName is the download's name for a report of [start, end).
func FileName(start, end report.Day, format string) string {
	return fmt.Sprintf("sales-report-%s-%s.%s", start, end, strings.ToLower(format))
}

package rpc

import (
	"fmt"
	"math"
	"time"
	"unicode/utf8"

	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	"github.com/cqlive/alliance/services/sales-reporting/internal/report"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// A page of a report goes out as the bytes proto.Marshal would make of its
// messages, written straight from the engine's rows: a page of 1,000 rows
// was some 13,000 messages built to be marshalled once and dropped, and
// that garbage (0.4 MB a page) set how often the collector ran over the
// engine's heap, the tail of those reports. The bytes travel as the
// unknown fields of an otherwise empty answer, which protobuf writes out
// verbatim: the caller reads the same answer, byte for byte
// (TestWireAnswerIsTheMarshalledAnswer).

// The field numbers of sales_reporting.proto that the rows' writer uses.
const (
	fieldRowsOfAnswer = 1 // QuerySalesReportResponse.rows

	fieldPeriodStart = 1 // ReportRow
	fieldPeriodEnd   = 2
	fieldKeys        = 3
	fieldMetrics     = 4

	fieldKeyDimension   = 1 // GroupKey
	fieldKeyKey         = 2
	fieldKeyDisplayName = 3

	fieldCurrencyCode = 1 // alliance.type.v1.Money
	fieldMinorUnits   = 2

	fieldSeconds = 1 // google.protobuf.Duration
	fieldNanos   = 2
)

// wireAnswer is out with rows appended to its rows field, as one message
// whose unknown fields hold what proto.Marshal makes of the whole (rows
// first, as field 1 comes first). Rows compared with an earlier range are
// not written this way: the answer keeps reportRows' messages for them.
func (s *Server) wireAnswer(out *salesv1.QuerySalesReportResponse, rows []report.Row, dims []salesv1.Dimension, groupBy []report.Dimension, display func(report.Dimension, string) string) (*salesv1.QuerySalesReportResponse, error) {
	w := rowWriter{currency: s.currency}
	b, err := w.appendRows(nil, rows, dims, groupBy, display)
	if err != nil {
		return nil, err
	}
	out.Rows = nil
	if b, err = (proto.MarshalOptions{Deterministic: true}).MarshalAppend(b, out); err != nil {
		return nil, err
	}
	wire := &salesv1.QuerySalesReportResponse{}
	wire.ProtoReflect().SetUnknown(b)
	return wire, nil
}

// rowWriter writes ReportRow messages with protowire; msg, sub and tiny
// are scratch for the nested messages (a row, its keys and figures, their
// amounts), whose lengths come before them.
type rowWriter struct {
	currency       string
	days           dayNames
	msg, sub, tiny []byte
}

// appendRows appends rows as the repeated rows field of a
// QuerySalesReportResponse, as metricsIn and reportRows would build them
// (rows without Previous).
func (w *rowWriter) appendRows(b []byte, rows []report.Row, dims []salesv1.Dimension, groupBy []report.Dimension, display func(report.Dimension, string) string) ([]byte, error) {
	for i := range rows {
		r := &rows[i]
		if r.Previous != nil {
			return nil, fmt.Errorf("rpc: a compared row has no wire writer")
		}
		m := w.msg[:0]
		m = appendString(m, fieldPeriodStart, w.days.of(r.PeriodStart))
		m = appendString(m, fieldPeriodEnd, w.days.of(r.PeriodEnd))
		for j, k := range r.Keys {
			name := display(groupBy[j], k)
			if !utf8.ValidString(k) || !utf8.ValidString(name) {
				return nil, fmt.Errorf("rpc: key %q of a report row is not UTF-8", k)
			}
			g := w.sub[:0]
			g = appendVarint(g, fieldKeyDimension, uint64(dims[j]))
			g = appendString(g, fieldKeyKey, k)
			g = appendString(g, fieldKeyDisplayName, name)
			m = appendMessage(m, fieldKeys, g)
			w.sub = g
		}
		w.sub = w.appendMetrics(w.sub[:0], &r.Metrics)
		m = appendMessage(m, fieldMetrics, w.sub)
		if i == 0 && b == nil {
			// The rows of a page are much of a size: room for all of
			// them and some, so that the buffer is not copied as it
			// grows, from wireBuffers, to which it goes back once sent
			// (wireCodec).
			buf := wireBuffers.Get((len(m)+len(m)/4+8)*len(rows) + 512)
			b = (*buf)[:0]
		}
		b = appendMessage(b, fieldRowsOfAnswer, m)
		w.msg = m
	}
	return b, nil
}

// appendMetrics appends the fields of the Metrics message metricsIn makes
// of m, in the order of their numbers (sales_reporting.proto).
func (w *rowWriter) appendMetrics(b []byte, m *report.Metrics) []byte {
	t := &m.Traffic
	b = appendInt(b, 1, m.Sessions)
	b = appendInt(b, 2, m.Orders)
	b = appendInt(b, 3, m.Units)
	b = w.appendMoney(b, 4, m.Gross)
	b = w.appendMoney(b, 5, m.Refunds)
	b = w.appendMoney(b, 6, m.Net)
	b = w.appendMoney(b, 7, m.AverageOrderValue)
	b = appendInt(b, 8, t.Views)
	b = appendInt(b, 9, t.Viewers)
	b = appendInt(b, 10, t.PeakConcurrentViewers)
	b = appendInt(b, 11, t.ProductClicks)
	b = appendInt(b, 12, t.ProductImpressions)
	if gpm, ok := report.GPM(m.Gross, t.Views); ok {
		b = w.appendMoney(b, 13, gpm)
	}
	if r, ok := report.Ratio(m.Orders, t.Viewers); ok {
		b = appendDouble(b, 14, r)
	}
	if r, ok := report.Ratio(t.ProductClicks, t.ProductImpressions); ok {
		b = appendDouble(b, 15, r)
	}
	if d, ok := t.AverageViewDuration(); ok {
		b = w.appendDuration(b, 16, d)
	}
	return appendInt(b, 17, t.Sessions)
}

// appendMoney appends a Money of the server's currency.
func (w *rowWriter) appendMoney(b []byte, num protowire.Number, v int64) []byte {
	w.tiny = appendInt(appendString(w.tiny[:0], fieldCurrencyCode, w.currency), fieldMinorUnits, v)
	return appendMessage(b, num, w.tiny)
}

// appendDuration appends d as durationpb.New would make it (a report's
// durations are never negative).
func (w *rowWriter) appendDuration(b []byte, num protowire.Number, d time.Duration) []byte {
	nanos := d.Nanoseconds()
	secs := nanos / 1e9
	w.tiny = appendInt(appendInt(w.tiny[:0], fieldSeconds, secs), fieldNanos, int64(int32(nanos-secs*1e9)))
	return appendMessage(b, num, w.tiny)
}

// appendInt appends a proto3 int64 (or int32, sign-extended as protobuf
// does): nothing for 0.
func appendInt(b []byte, num protowire.Number, v int64) []byte {
	return appendVarint(b, num, uint64(v))
}

func appendVarint(b []byte, num protowire.Number, v uint64) []byte {
	if v == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

// appendDouble appends an optional double: present even when 0.
func appendDouble(b []byte, num protowire.Number, v float64) []byte {
	b = protowire.AppendTag(b, num, protowire.Fixed64Type)
	return protowire.AppendFixed64(b, math.Float64bits(v))
}

// appendString appends a proto3 string: nothing for "".
func appendString(b []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

// appendMessage appends a present message field of the bytes msg.
func appendMessage(b []byte, num protowire.Number, msg []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, msg)
}

package store

import (
	"unicode/utf8"

	storev1 "github.com/cqlive/alliance/gen/pb/alliance/sales/store/v1"
	"github.com/cqlive/alliance/services/sales-reporting/internal/report"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// The ops of a group's log entry are encoded by hand (opsWire), on the
// commit goroutine that every sale waits for: building each op as a
// message and marshalling the entry by reflection (sizing it, then
// writing it) was most of the entry's cost. The bytes are those that a
// deterministic proto.Marshal makes of the entry's ops (field 3 of
// LogEntry, each op in order, each field of a sale or a delta in number
// order, zero values left out), and the entry carries them as its
// unknown fields, which marshalling writes after log_id and seq as they
// are: the log holds the same bytes as before.
//
// A sale puts, and a delta adds to a cell, once per line; the ops of
// other kinds (totals, refunds, sessions, products) are marshalled as
// messages, one op at a time. A string that is not UTF-8, which
// marshalling refuses, leaves the whole entry to messages (entry), so
// that its error is the same as ever.

// opsWire appends the ops of l to b as LogEntry's field 3, or returns
// false where a string is not UTF-8.
func (l *loggingTx) opsWire(b []byte) ([]byte, bool) {
	var body, op []byte // an op's message, and the op around it
	for _, o := range l.ops {
		var num protowire.Number
		switch o.kind {
		case opPutSale:
			num, body = 1, l.saleWire(body[:0], o.i)
		case opAddToCell:
			num, body = 6, l.deltaWire(body[:0], o.i)
		default:
			var m storev1.LogOp
			l.record(o, &m, &entryParts{})
			var err error
			if op, err = (proto.MarshalOptions{Deterministic: true}).MarshalAppend(op[:0], &m); err != nil {
				return nil, false
			}
			b = protowire.AppendBytes(protowire.AppendTag(b, 3, protowire.BytesType), op)
			continue
		}
		if body == nil {
			return nil, false
		}
		op = protowire.AppendBytes(protowire.AppendTag(op[:0], num, protowire.BytesType), body)
		b = protowire.AppendBytes(protowire.AppendTag(b, 3, protowire.BytesType), op)
	}
	return b, true
}

// saleWire appends the LoggedSale of l's i-th new sale to b, or returns
// nil where a string is not UTF-8.
func (l *loggingTx) saleWire(b []byte, i int) []byte {
	s := l.tx.newSales[i]
	w := wireFields{b: b}
	w.varint(1, s.ID)
	w.text(2, s.Session)
	w.text(3, s.Product)
	w.flag(4, s.Kind == report.Refund)
	w.varint(5, uint64(s.Quantity))
	w.varint(6, uint64(s.Amount))
	w.text(7, s.Currency)
	w.text(8, s.Platform)
	w.text(9, s.ExternalID)
	w.text(10, s.RefundOf)
	w.varint(11, uint64(s.EventTime.Unix()))
	w.varint(12, uint64(int64(int32(s.EventTime.Nanosecond()))))
	w.varint(13, uint64(s.CreateTime.Unix()))
	w.varint(14, uint64(int64(int32(s.CreateTime.Nanosecond()))))
	return w.done()
}

// deltaWire appends the LoggedDelta of l's i-th delta to b, or returns
// nil where a string is not UTF-8.
func (l *loggingTx) deltaWire(b []byte, i int) []byte {
	d, a := &l.deltas[i], l.attrOf(i)
	w := wireFields{b: b}
	w.text(1, d.Session)
	w.text(2, d.Product)
	w.varint(3, uint64(int64(int32(d.Day))))
	w.varint(4, uint64(d.EventTime.Unix()))
	w.varint(5, uint64(int64(int32(d.EventTime.Nanosecond()))))
	w.flag(6, d.Kind == report.Refund)
	w.varint(7, uint64(d.Quantity))
	w.varint(8, uint64(d.Amount))
	for n, s := range [...]string{a.Host, a.Agency, a.Base, a.Studio, a.District, a.Merchant, a.Category, a.OriginDistrict, a.Platform} {
		w.text(protowire.Number(9+n), s)
	}
	w.flag(18, a.Official)
	return w.done()
}

// wireFields appends a message's fields in the proto3 encoding, leaving
// out zero values as proto.Marshal does.
type wireFields struct {
	b   []byte
	bad bool // a string was not UTF-8
}

func (w *wireFields) varint(num protowire.Number, v uint64) {
	if v != 0 {
		w.b = protowire.AppendVarint(protowire.AppendTag(w.b, num, protowire.VarintType), v)
	}
}

func (w *wireFields) flag(num protowire.Number, v bool) {
	if v {
		w.varint(num, 1)
	}
}

func (w *wireFields) text(num protowire.Number, s string) {
	if s == "" {
		return
	}
	if !utf8.ValidString(s) {
		w.bad = true
	}
	w.b = protowire.AppendString(protowire.AppendTag(w.b, num, protowire.BytesType), s)
}

// done is the message's bytes (not nil), or nil where a string was not
// UTF-8.
func (w *wireFields) done() []byte {
	if w.bad {
		return nil
	}
	if w.b == nil {
		return []byte{}
	}
	return w.b
}

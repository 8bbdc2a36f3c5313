package store

import (
	"fmt"
	"time"

	storev1 "github.com/cqlive/alliance/gen/pb/alliance/sales/store/v1"
	"github.com/cqlive/alliance/services/sales-reporting/internal/ingest"
	"github.com/cqlive/alliance/services/sales-reporting/internal/report"
)

// loggingTx is the transaction a group commit runs in: each write goes to
// the store's open transaction and is also kept, as its method and
// arguments, to become the group's log entry. Replay (apply) calls the
// same methods with the same values, so the log and sales.db cannot
// disagree on what a write means. The entry is built only if the group is
// logged (a large group commits sales.db instead, see Store.update).
type loggingTx struct {
	*tx
	// ops in order; each names its arguments by index into the slices
	// below (a sale by its index in the transaction's newSales), so that
	// keeping them costs little for the groups that are not logged.
	ops      []loggedOp
	refunds  []refundArgs
	sums     []report.Sums
	sessions []*ingest.Session
	products []*ingest.Product
	deltas   []report.Delta
	// attrs holds AddToCell's attribution where it is not its delta's.
	attrs map[int]report.Attribution
	sales int
}

type opKind uint8

const (
	opPutSale opKind = iota + 1
	opSetRefunded
	opSetTotals
	opPutSession
	opPutProduct
	opAddToCell
)

type loggedOp struct {
	kind opKind
	i    int
}

type refundArgs struct {
	order    uint64
	qty, amt int64
}

// keep adds an op of kind to l with its argument v, kept in args, and
// returns v's index in args.
func keep[T any](l *loggingTx, kind opKind, args *[]T, v T) int {
	i := len(*args)
	l.ops = append(l.ops, loggedOp{kind, i})
	*args = append(*args, v)
	return i
}

func (l *loggingTx) PutSale(s *ingest.Sale) error {
	if err := l.tx.PutSale(s); err != nil {
		return err
	}
	l.sales++
	l.ops = append(l.ops, loggedOp{opPutSale, len(l.tx.newSales) - 1})
	return nil
}

func (l *loggingTx) SetRefunded(orderID uint64, qty, amount int64) error {
	if err := l.tx.SetRefunded(orderID, qty, amount); err != nil {
		return err
	}
	keep(l, opSetRefunded, &l.refunds, refundArgs{orderID, qty, amount})
	return nil
}

func (l *loggingTx) SetTotals(s report.Sums) error {
	if err := l.tx.SetTotals(s); err != nil {
		return err
	}
	keep(l, opSetTotals, &l.sums, s)
	return nil
}

func (l *loggingTx) PutSession(s *ingest.Session) error {
	if err := l.tx.PutSession(s); err != nil {
		return err
	}
	keep(l, opPutSession, &l.sessions, s)
	return nil
}

func (l *loggingTx) PutProduct(p *ingest.Product) error {
	if err := l.tx.PutProduct(p); err != nil {
		return err
	}
	keep(l, opPutProduct, &l.products, p)
	return nil
}

func (l *loggingTx) AddToCell(d report.Delta, a report.Attribution) error {
	if err := l.tx.AddToCell(d, a); err != nil {
		return err
	}
	i := keep(l, opAddToCell, &l.deltas, d)
	if a != d.Attr {
		if l.attrs == nil {
			l.attrs = map[int]report.Attribution{}
		}
		l.attrs[i] = a
	}
	return nil
}

// attrOf is the attribution AddToCell gave the i-th delta.
func (l *loggingTx) attrOf(i int) report.Attribution {
	if a, ok := l.attrs[i]; ok {
		return a
	}
	return l.deltas[i].Attr
}

// entry is the group's log entry, its ops already encoded (opsWire, in
// the entry's unknown fields), or as messages (messages) when a string
// is not UTF-8.
func (l *loggingTx) entry(logID []byte, seq uint64) *storev1.LogEntry {
	// Room for the ops at once (a sale's op is some 100 bytes, a delta's
	// some 150): growing the bytes op by op copied them again and again.
	if b, ok := l.opsWire(make([]byte, 0, 160*len(l.ops))); ok {
		e := &storev1.LogEntry{LogId: logID, Seq: seq}
		e.ProtoReflect().SetUnknown(b)
		return e
	}
	return l.messages(logID, seq)
}

// messages is the group's log entry as messages. Its ops, and the sales
// and deltas they put, are one slice each rather than three objects an
// op.
func (l *loggingTx) messages(logID []byte, seq uint64) *storev1.LogEntry {
	e := &storev1.LogEntry{LogId: logID, Seq: seq, Ops: make([]*storev1.LogOp, len(l.ops))}
	p := entryParts{
		ops:   make([]storev1.LogOp, len(l.ops)),
		sales: make([]storev1.LoggedSale, l.sales), putSales: make([]storev1.LogOp_PutSale, l.sales),
		deltas: make([]storev1.LoggedDelta, len(l.deltas)), addToCells: make([]storev1.LogOp_AddToCell, len(l.deltas)),
	}
	for i, o := range l.ops {
		e.Ops[i] = &p.ops[i]
		l.record(o, e.Ops[i], &p)
	}
	return e
}

// entryParts are the messages of one entry that record hands out.
type entryParts struct {
	ops        []storev1.LogOp
	sales      []storev1.LoggedSale
	putSales   []storev1.LogOp_PutSale
	deltas     []storev1.LoggedDelta
	addToCells []storev1.LogOp_AddToCell
}

// record sets op to o, its sale or delta taken from p.
func (l *loggingTx) record(o loggedOp, op *storev1.LogOp, p *entryParts) {
	switch o.kind {
	case opPutSale:
		s := l.tx.newSales[o.i]
		r, w := &p.sales[0], &p.putSales[0]
		p.sales, p.putSales = p.sales[1:], p.putSales[1:]
		*r = storev1.LoggedSale{
			Id: s.ID, Session: s.Session, Product: s.Product, Refund: s.Kind == report.Refund, Quantity: s.Quantity, Amount: s.Amount,
			Currency: s.Currency, Platform: s.Platform, ExternalId: s.ExternalID, RefundOf: s.RefundOf,
			EventSeconds: s.EventTime.Unix(), EventNanos: int32(s.EventTime.Nanosecond()),
			CreateSeconds: s.CreateTime.Unix(), CreateNanos: int32(s.CreateTime.Nanosecond()),
		}
		w.PutSale = r
		op.Op = w
	case opSetRefunded:
		r := l.refunds[o.i]
		op.Op = &storev1.LogOp_SetRefunded{SetRefunded: &storev1.LoggedRefunded{OrderId: r.order, Quantity: r.qty, Amount: r.amt}}
	case opSetTotals:
		op.Op = &storev1.LogOp_SetTotals{SetTotals: totalsRecord(l.sums[o.i])}
	case opPutSession:
		op.Op = &storev1.LogOp_PutSession{PutSession: sessionRecord(l.sessions[o.i])}
	case opPutProduct:
		op.Op = &storev1.LogOp_PutProduct{PutProduct: productRecord(l.products[o.i])}
	default: // opAddToCell
		d, a := &l.deltas[o.i], l.attrOf(o.i)
		r, w := &p.deltas[0], &p.addToCells[0]
		p.deltas, p.addToCells = p.deltas[1:], p.addToCells[1:]
		*r = storev1.LoggedDelta{
			Session: d.Session, Product: d.Product, Day: int32(d.Day),
			EventSeconds: d.EventTime.Unix(), EventNanos: int32(d.EventTime.Nanosecond()),
			Refund: d.Kind == report.Refund, Quantity: d.Quantity, Amount: d.Amount,
			Host: a.Host, Agency: a.Agency, Base: a.Base, Studio: a.Studio, District: a.District,
			Merchant: a.Merchant, Category: a.Category, OriginDistrict: a.OriginDistrict, Platform: a.Platform, Official: a.Official,
		}
		w.AddToCell = r
		op.Op = w
	}
}

func kindOf(refund bool) report.Kind {
	if refund {
		return report.Refund
	}
	return report.Order
}

// apply replays the ops of one entry into t.
func (t *tx) apply(e *storev1.LogEntry) error {
	for _, op := range e.GetOps() {
		var err error
		switch o := op.GetOp().(type) {
		case *storev1.LogOp_PutSale:
			r := o.PutSale
			// The id was the sales bucket's next; the sequence follows it.
			if seq := t.log.b.Sequence(); r.GetId() <= seq {
				return fmt.Errorf("log entry %d puts sale %d, but sales.db has ids up to %d: %w", e.GetSeq(), r.GetId(), seq, errCorrupt)
			}
			if err = t.log.b.SetSequence(r.GetId()); err != nil {
				return err
			}
			err = t.PutSale(&ingest.Sale{
				ID: r.GetId(), Session: r.GetSession(), Product: r.GetProduct(), Kind: kindOf(r.GetRefund()),
				Quantity: r.GetQuantity(), Amount: r.GetAmount(), Currency: r.GetCurrency(), Platform: r.GetPlatform(),
				ExternalID: r.GetExternalId(), RefundOf: r.GetRefundOf(),
				EventTime:  time.Unix(r.GetEventSeconds(), int64(r.GetEventNanos())).UTC(),
				CreateTime: time.Unix(r.GetCreateSeconds(), int64(r.GetCreateNanos())).UTC(),
			})
		case *storev1.LogOp_SetRefunded:
			err = t.SetRefunded(o.SetRefunded.GetOrderId(), o.SetRefunded.GetQuantity(), o.SetRefunded.GetAmount())
		case *storev1.LogOp_SetTotals:
			err = t.SetTotals(sumsOf(o.SetTotals))
		case *storev1.LogOp_PutSession:
			err = t.PutSession(sessionOf(o.PutSession))
		case *storev1.LogOp_PutProduct:
			err = t.PutProduct(productOf(o.PutProduct))
		case *storev1.LogOp_AddToCell:
			d := o.AddToCell
			a := report.Attribution{
				Host: d.GetHost(), Agency: d.GetAgency(), Base: d.GetBase(), Studio: d.GetStudio(), District: d.GetDistrict(),
				Merchant: d.GetMerchant(), Category: d.GetCategory(), OriginDistrict: d.GetOriginDistrict(), Platform: d.GetPlatform(), Official: d.GetOfficial(),
			}
			err = t.AddToCell(report.Delta{
				Session: d.GetSession(), Product: d.GetProduct(), Attr: a, Day: report.Day(d.GetDay()),
				EventTime: time.Unix(d.GetEventSeconds(), int64(d.GetEventNanos())).UTC(),
				Kind:      kindOf(d.GetRefund()), Quantity: d.GetQuantity(), Amount: d.GetAmount(),
			}, a)
		default:
			return fmt.Errorf("log entry %d: an op this build does not know: %w", e.GetSeq(), errCorrupt)
		}
		if err != nil {
			return fmt.Errorf("replaying log entry %d: %w", e.GetSeq(), err)
		}
	}
	return nil
}

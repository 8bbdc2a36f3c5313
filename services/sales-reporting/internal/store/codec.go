package store

import (
	"encoding/binary"
	"fmt"
	"time"

	storev1 "github.com/cqlive/alliance/gen/pb/alliance/sales/store/v1"
	"github.com/cqlive/alliance/services/kit/protoconv"
	"github.com/cqlive/alliance/services/sales-reporting/internal/ingest"
	"github.com/cqlive/alliance/services/sales-reporting/internal/report"
	"google.golang.org/protobuf/proto"
)

// The store alone converts between the domain's values and the records of
// records.proto; nothing outside it sees a record.

var deterministic = proto.MarshalOptions{Deterministic: true}

// saleRecord is s as a record of a block whose times count from base.
func saleRecord(s *ingest.Sale, sid, pid uint32, currency string, base int64) *storev1.Sale {
	r := &storev1.Sale{
		Session: sid, Product: pid, Refund: s.Kind == report.Refund, Quantity: s.Quantity, Amount: s.Amount,
		Platform: s.Platform, ExternalId: s.ExternalID, RefundOf: s.RefundOf,
		EventSeconds: s.EventTime.Unix() - base, EventNanos: int32(s.EventTime.Nanosecond()),
		CreateSeconds: s.CreateTime.Unix() - base, CreateNanos: int32(s.CreateTime.Nanosecond()),
	}
	if s.Currency != currency {
		r.Currency = s.Currency
	}
	return r
}

// saleOf is the sale of record r, the id-th, of block b; names come from
// the dictionaries.
func saleOf(id uint64, r *storev1.Sale, b *storev1.SaleBlock, d dictView) (*ingest.Sale, error) {
	ses, ok := d.sessionName(r.GetSession())
	if !ok {
		return nil, fmt.Errorf("sale %d names session id %d, which has no record: %w", id, r.GetSession(), errCorrupt)
	}
	prod, ok := d.productName(r.GetProduct())
	if !ok {
		return nil, fmt.Errorf("sale %d names product id %d, which has no record: %w", id, r.GetProduct(), errCorrupt)
	}
	s := &ingest.Sale{
		ID: id, Session: ses, Product: prod, Kind: report.Order, Quantity: r.GetQuantity(), Amount: r.GetAmount(),
		Currency: b.GetCurrency(), Platform: r.GetPlatform(), ExternalID: r.GetExternalId(), RefundOf: r.GetRefundOf(),
		EventTime:  time.Unix(b.GetBaseSeconds()+r.GetEventSeconds(), int64(r.GetEventNanos())).UTC(),
		CreateTime: time.Unix(b.GetBaseSeconds()+r.GetCreateSeconds(), int64(r.GetCreateNanos())).UTC(),
	}
	if r.GetRefund() {
		s.Kind = report.Refund
	}
	if r.GetCurrency() != "" {
		s.Currency = r.GetCurrency()
	}
	return s, nil
}

func sessionRecord(s *ingest.Session) *storev1.SessionRecord {
	return &storev1.SessionRecord{
		Name: s.Name, State: int32(s.State), Platform: s.Platform,
		ActualStart: protoconv.Timestamp(s.ActualStart), ActualEnd: protoconv.Timestamp(s.ActualEnd),
		Products: s.Products, Merchants: s.Merchants,
		Host: s.Attr.Host, Agency: s.Attr.Agency, Base: s.Attr.Base, Studio: s.Attr.Studio,
		District: s.Attr.District, Official: s.Attr.Official,
	}
}

func sessionOf(r *storev1.SessionRecord) *ingest.Session {
	return &ingest.Session{
		Name: r.GetName(), State: ingest.SessionState(r.GetState()), Platform: r.GetPlatform(),
		ActualStart: protoconv.RecordTime(r.GetActualStart()), ActualEnd: protoconv.RecordTime(r.GetActualEnd()),
		Products: r.GetProducts(), Merchants: r.GetMerchants(),
		Attr: ingest.SessionAttr{Host: r.GetHost(), Agency: r.GetAgency(), Base: r.GetBase(), Studio: r.GetStudio(),
			District: r.GetDistrict(), Official: r.GetOfficial()},
	}
}

func productRecord(p *ingest.Product) *storev1.ProductRecord {
	return &storev1.ProductRecord{Name: p.Name, Merchant: p.Merchant, Category: p.Category, OriginDistrict: p.OriginDistrict}
}

func productOf(r *storev1.ProductRecord) *ingest.Product {
	return &ingest.Product{Name: r.GetName(), Merchant: r.GetMerchant(), Category: r.GetCategory(), OriginDistrict: r.GetOriginDistrict()}
}

func cellRecord(c *report.Cell) *storev1.Cell {
	return &storev1.Cell{Orders: c.Orders, Units: c.Units, Gross: c.Gross, Refunds: c.Refunds, RefundLines: c.RefundLines,
		FirstEvent: protoconv.Timestamp(c.FirstEvent), LastEvent: protoconv.Timestamp(c.LastEvent)}
}

func setCell(c *report.Cell, r *storev1.Cell) {
	c.Orders, c.Units, c.Gross, c.Refunds, c.RefundLines = r.GetOrders(), r.GetUnits(), r.GetGross(), r.GetRefunds(), r.GetRefundLines()
	c.FirstEvent, c.LastEvent = protoconv.RecordTime(r.GetFirstEvent()), protoconv.RecordTime(r.GetLastEvent())
}

func totalsRecord(s report.Sums) *storev1.Totals {
	return &storev1.Totals{Orders: s.Orders, Units: s.Units, Gross: s.Gross, Refunds: s.Refunds, RefundLines: s.RefundLines}
}

func sumsOf(r *storev1.Totals) report.Sums {
	return report.Sums{Orders: r.GetOrders(), Units: r.GetUnits(), Gross: r.GetGross(), Refunds: r.GetRefunds(), RefundLines: r.GetRefundLines()}
}

// Keys.

func u32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

// dayKey orders days, negative ones too.
func appendDay(b []byte, d report.Day) []byte {
	return binary.BigEndian.AppendUint32(b, uint32(int64(d)+1<<31))
}

func dayOfKey(b []byte) report.Day { return report.Day(int64(binary.BigEndian.Uint32(b)) - 1<<31) }

func cellKeyOf(sid, pid uint32, d report.Day) []byte {
	return appendDay(binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(make([]byte, 0, 12), sid), pid), d)
}

// saleKey is a sale's idempotency key: its platform, a zero byte, and
// its id on that platform.
func saleKey(platform, externalID string) []byte {
	return appendSaleKey(make([]byte, 0, saleKeyLen(platform, externalID)), platform, externalID)
}

func saleKeyLen(platform, externalID string) int { return len(platform) + 1 + len(externalID) }

// appendSaleKey appends saleKey(platform, externalID) to b.
func appendSaleKey(b []byte, platform, externalID string) []byte {
	b = append(b, platform...)
	b = append(b, 0)
	return append(b, externalID...)
}

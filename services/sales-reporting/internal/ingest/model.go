// Package ingest holds the rules of sales ingestion: the shape of a sale,
// attribution, idempotency, refunds bounded by their order, orders inside
// their session's window, and the batch function that makes many sales
// durable in one transaction of kit/boltdb's group commit. It knows
// neither proto nor bbolt's types.
package ingest

import (
	"strconv"
	"strings"
	"time"

	"github.com/cqlive/alliance/services/sales-reporting/internal/report"
)

// Domain of this service's ErrorInfo.
const Domain = "sales.alliance"

// Sale is one order line or refund line. ID, CreateTime and Attr are set
// by the service.
type Sale struct {
	ID         uint64
	Session    string // sessions/{s}
	Product    string // members/{m}/products/{p}
	Kind       report.Kind
	Quantity   int64
	Amount     int64 // minor units, positive for refunds too
	Currency   string
	Platform   string // enum name without prefix, e.g. DOUYIN
	ExternalID string
	RefundOf   string
	EventTime  time.Time
	CreateTime time.Time
	Attr       report.Attribution
}

// SaleName renders a sale id as its resource name. Ids are zero-padded so
// that names sort like ids, which is the tie-break order of ListSales.
// Every answered sale and every listed one is named, so the name is built
// without fmt (whose Sprintf was 2% of the service's CPU under RecordSale).
func SaleName(id uint64) string {
	const prefix, width = "sales/s", 12
	var b [len(prefix) + 20]byte
	n := copy(b[:], prefix)
	digits := strconv.AppendUint(b[n:n], id, 10)
	if pad := width - len(digits); pad > 0 {
		copy(b[n+pad:], digits)
		for i := range pad {
			b[n+i] = '0'
		}
		return string(b[:n+width])
	}
	return string(b[:n+len(digits)])
}

// ParseSaleName returns the id of sales/{sale}, or false.
func ParseSaleName(name string) (uint64, bool) {
	rest, ok := strings.CutPrefix(name, "sales/s")
	if !ok || len(rest) < 12 {
		return 0, false
	}
	id, err := strconv.ParseUint(rest, 10, 64)
	return id, err == nil && id > 0
}

// Name of the sale.
func (s *Sale) Name() string { return SaleName(s.ID) }

// samePayload reports whether b repeats a: the fields a platform sends,
// other than the (platform, external_id) key they already share.
func samePayload(a, b *Sale) bool {
	return a.Session == b.Session && a.Product == b.Product && a.Kind == b.Kind &&
		a.Quantity == b.Quantity && a.Amount == b.Amount && a.Currency == b.Currency &&
		a.RefundOf == b.RefundOf && a.EventTime.Equal(b.EventTime)
}

// SessionState of a session, as session scheduling reports it.
type SessionState int

const (
	StateUnknown SessionState = iota
	Scheduled
	Live
	Ended
	Cancelled
)

func (s SessionState) String() string {
	switch s {
	case Scheduled:
		return "SCHEDULED"
	case Live:
		return "LIVE"
	case Ended:
		return "ENDED"
	case Cancelled:
		return "CANCELLED"
	}
	return "UNKNOWN"
}

// final reports whether the state can no longer change.
func (s SessionState) final() bool { return s == Ended || s == Cancelled }

// SessionAttr is what a session's sales count for. It is fixed at the first
// sale of the session, so that every sale of one session counts for the same
// host, agency and district even if the directory changes later.
type SessionAttr struct {
	Host, Agency, Base, Studio, District string
	Official                             bool
}

// Session is the snapshot of a session that ingestion needs.
type Session struct {
	Name        string
	State       SessionState
	Platform    string
	ActualStart time.Time
	ActualEnd   time.Time
	Products    []string
	Merchants   []string
	Attr        SessionAttr
}

// Product is the snapshot of a product's fields that a sale uses.
type Product struct {
	Name, Merchant, Category, OriginDistrict string
}

// Attribution joins a session's and a product's snapshot.
func Attribution(s *Session, p *Product) report.Attribution {
	return report.Attribution{
		Host: s.Attr.Host, Agency: s.Attr.Agency, Base: s.Attr.Base, Studio: s.Attr.Studio,
		District: s.Attr.District, Official: s.Attr.Official, Platform: s.Platform,
		Merchant: p.Merchant, Category: p.Category, OriginDistrict: p.OriginDistrict,
	}
}

// MerchantOf is members/{m} of members/{m}/products/{p}.
func MerchantOf(product string) string {
	if i := strings.Index(product, "/products/"); i > 0 {
		return product[:i]
	}
	return ""
}

// BaseOf is members/{b} of members/{b}/studios/{s}.
func BaseOf(studio string) string {
	if i := strings.Index(studio, "/studios/"); i > 0 {
		return studio[:i]
	}
	return ""
}

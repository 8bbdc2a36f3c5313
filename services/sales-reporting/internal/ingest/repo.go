package ingest

import (
	"context"
	"time"

	"github.com/cqlive/alliance/services/sales-reporting/internal/report"
)

// Repo is the durable store of sales, snapshots and rollup cells.
type Repo interface {
	// Update runs fn in one write transaction: all of it commits, durably,
	// or none of it.
	Update(fn func(Tx) error) error
	// View runs fn in a read transaction.
	View(fn func(ReadTx) error) error
	// SyncIndexes makes the listing indexes cover every committed sale.
	// They are kept off the ingestion path, so a listing asks for this first.
	SyncIndexes() error
}

// SizedRepo is a Repo that is told, before a group's transaction runs,
// how many lines it will judge: a store may commit a large group (an
// import's chunks) on its own rather than the way it commits small ones.
type SizedRepo interface {
	// UpdateLines is Update for fn that judges lines lines.
	UpdateLines(lines int, fn func(Tx) error) error
}

// ReadTx reads sales.
type ReadTx interface {
	// SaleByID returns the sale without its attribution, or nil.
	SaleByID(id uint64) (*Sale, error)
	// SaleByKey returns the sale stored under (platform, external_id), or nil.
	SaleByKey(platform, externalID string) (*Sale, error)
	// ListSales returns up to limit sales after cursor, ordered by event
	// time then id, of one session or of all when session is "", and the
	// cursor of the next page ("" at the end).
	ListSales(session string, kind report.Kind, cursor []byte, limit int) ([]*Sale, []byte, error)
	// Session and Product return a stored snapshot, or nil.
	Session(name string) (*Session, error)
	Product(name string) (*Product, error)
}

// Tx is a write transaction.
type Tx interface {
	ReadTx
	// NextID returns the next sale id; ids only grow, so inserts append.
	NextID() (uint64, error)
	// PutSale stores s, which the transaction keeps: the caller must not
	// change it afterwards.
	PutSale(s *Sale) error
	// Refunded returns what the refunds of an order took so far.
	Refunded(orderID uint64) (qty, amount int64, err error)
	SetRefunded(orderID uint64, qty, amount int64) error
	// Totals are the sums of every stored sale; SetTotals replaces them.
	Totals() (report.Sums, error)
	SetTotals(report.Sums) error
	PutSession(s *Session) error
	PutProduct(p *Product) error
	// AddToCell counts d in its (session, product, day) cell, with
	// report.Cell.Add; the cell is written before the transaction commits.
	AddToCell(d report.Delta, attr report.Attribution) error
}

// SessionInfo is a session as session scheduling returns it.
type SessionInfo struct {
	Name, Host, Studio     string
	Merchants, Products    []string
	Platform               string
	State                  SessionState
	ActualStart, ActualEnd time.Time
}

// MemberInfo is what attribution takes from a member.
type MemberInfo struct {
	Name, Agency, District string
	Official               bool
}

// Directory is the other services, as ingestion needs them. A service that
// is down or too slow gives a fault UNAVAILABLE, which names the service
// and never its address.
type Directory interface {
	// Sessions returns the sessions found; unknown names are left out.
	Sessions(ctx context.Context, names []string) (map[string]SessionInfo, error)
	Members(ctx context.Context, names []string) (map[string]MemberInfo, error)
	// Product returns the product, or false when it does not exist.
	Product(ctx context.Context, name string) (Product, bool, error)
}

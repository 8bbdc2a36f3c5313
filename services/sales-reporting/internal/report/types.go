// Package report is the in-memory report engine of sales reporting. It holds
// the rollup cells — one per (session, product, day) — and answers every
// report from them: QuerySalesReport, ListTopPerformers, GetAllianceOverview
// and session summaries. It knows neither proto nor bbolt.
//
// The cells are also kept in bbolt by the store, in the same transaction as
// the sales they count; at start-up the store loads them into the engine with
// Load, and after every commit the ingestion applies the same deltas with
// Apply. Queries never see half of a commit, because Apply takes one batch
// (one commit) under the engine's write lock.
//
// Why cells of (session, product, day): every report dimension (see
// docs/API.md) is a function of the session (host, agency, base, studio,
// district, platform, official) or of the product (merchant, category,
// origin district), and
// `sessions` — distinct sessions with an ORDER in a row (a refund alone does
// not count its session) — is not additive over
// days, so the engine must still see sessions. Their number grows with
// sessions × products × days, not with sales, so reports stay flat as the
// sales table grows.
package report

import "time"

// Day is a civil date in the alliance time zone, as days since 1970-01-01.
type Day int32

// Kind of a sale line.
type Kind int

const (
	Order Kind = iota + 1
	Refund
)

// Attribution is what a (session, product) pair counts for. Member fields
// are resource names ("members/x"); districts and categories are codes;
// Platform is the enum name without prefix, e.g. "DOUYIN".
type Attribution struct {
	Host, Agency, Base, Studio, District string
	Merchant, Category, OriginDistrict   string
	Platform                             string
	Official                             bool
}

// Delta is one accepted sale's contribution to its cell.
type Delta struct {
	Session   string // sessions/{s}
	Product   string // members/{m}/products/{p}
	Attr      Attribution
	Day       Day
	EventTime time.Time
	Kind      Kind
	Quantity  int64
	Amount    int64 // minor units, positive for orders and refunds alike
}

// Cell is the stored rollup of one (session, product, day).
type Cell struct {
	Session     string
	Product     string
	Attr        Attribution
	Day         Day
	Orders      int64
	Units       int64 // ordered units
	Gross       int64
	Refunds     int64 // refunded amount
	RefundLines int64
	FirstEvent  time.Time
	LastEvent   time.Time
}

// Granularity of report periods.
type Granularity int

const (
	Daily  Granularity = iota + 1
	Weekly             // ISO weeks, Monday first
	Monthly
	Quarterly
	Yearly
	Total
)

// Dimension to group or rank by.
type Dimension int

const (
	DimDistrict Dimension = iota + 1
	DimOriginDistrict
	DimHost
	DimAgency
	DimBase
	DimMerchant
	DimCategory
	DimPlatform
)

// Metric to rank by.
type Metric int

const (
	MetricNet Metric = iota + 1
	MetricGross
	MetricOrders
	MetricUnits
)

// Filter keeps cells whose attribution equals every non-empty field.
type Filter struct {
	District, OriginDistrict, Host, Agency, Base, Merchant, Category, Platform string
}

// Query is one QuerySalesReport: days [Start, End).
type Query struct {
	Start, End  Day
	Granularity Granularity
	GroupBy     []Dimension // at most 2
	Filter      Filter
	// Compare asks for the earlier range's figures too (compare.go).
	Compare Comparison
}

// Metrics of a row. Money in minor units.
type Metrics struct {
	Sessions          int64
	Orders            int64
	Units             int64
	Gross             int64
	Refunds           int64
	Net               int64
	AverageOrderValue int64 // Gross / Orders, rounded half to even; 0 without orders
	// Traffic of the row's sessions (traffic.go); zero in rows of product
	// dimensions, which carry none.
	Traffic TrafficMetrics
}

// Row of a report: one period and one value per GroupBy dimension. Rows are
// ordered by period, then keys. Periods are clipped to [Start, End).
type Row struct {
	PeriodStart, PeriodEnd Day
	Keys                   []string
	Metrics                Metrics
	// Previous: the row's figures in the earlier range (with Compare), nil
	// when it had none.
	Previous *Metrics
}

// Result of a Query. DataThrough is the newest event time of any sale the
// engine holds (zero when it holds none).
type Result struct {
	Rows        []Row
	Totals      Metrics
	DataThrough time.Time
	// With Compare: the earlier range and its totals.
	PreviousStart, PreviousEnd Day
	PreviousTotals             *Metrics
}

// TopEntry of a ranking; Rank is 1-based, ties broken by key.
type TopEntry struct {
	Rank    int
	Key     string
	Value   int64
	Metrics Metrics
	// With a comparison: the key's figures and rank in the earlier range
	// (nil and 0 when it sold nothing then).
	Previous     *Metrics
	PreviousRank int
}

// Overview is the alliance's headline for [Start, End), except sessions held
// (that figure comes from session scheduling).
type Overview struct {
	SessionsWithSales int64
	Orders            int64
	Units             int64
	Gross             int64
	Refunds           int64
	Net               int64
	ActiveHosts       int64 // hosts with at least one sale in the period
	ActiveBases       int64
	ActiveAgencies    int64
	TopDistricts      []TopEntry // top 5 by net
	DataThrough       time.Time
	Traffic           TrafficMetrics
}

// SessionSummary of one session over all days.
type SessionSummary struct {
	Orders, Units, Gross, Refunds, RefundLines int64
	FirstEvent, LastEvent                      time.Time
}

// Engine is implemented in engine.go. Its methods, safe for concurrent use:
//
//	func New(loc *time.Location) *Engine
//	func (e *Engine) Load(c Cell)                 // start-up only, before serving
//	func (e *Engine) Apply(batch []Delta)         // one committed batch, atomically
//	func (e *Engine) Query(q Query) (Result, error)
//	func (e *Engine) Top(d Dimension, m Metric, f Filter, start, end Day, limit int) ([]TopEntry, time.Time, error)
//	func (e *Engine) Overview(start, end Day) Overview
//	func (e *Engine) SessionSummary(session string) (SessionSummary, bool)
//	func (c *Cell) Add(d Delta)                    // the one place a delta changes a cell (store uses it too)
//
// Dates: func DayOf(t time.Time, loc *time.Location) Day, func ParseDay(s string) (Day, error)
// for YYYY-MM-DD, func (d Day) String() string.

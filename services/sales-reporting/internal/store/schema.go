package store

import "github.com/cqlive/alliance/services/kit/boltdb"

// Every bucket of sales.db (schema 3), in one place: key -> value. Ids
// and days are big-endian, so they sort as numbers; times are
// kit/timekey's 12-byte keys. Session and product ids are the dictionary
// ids of their records.
var (
	// first sale id (8) -> Packed SaleBlock: the sales, a run of ids each.
	bucketSaleBlocks = []byte("sale_blocks")
	// platform 0x00 external_id -> sale id, in KeyBlocks: the idempotency
	// key, exact (the external id itself is the key, not a hash of it).
	bucketSaleKeys = []byte("sale_key_blocks")
	// event time (12) sale id (8) -> 0, in KeyBlocks: ListSales over every
	// session. Kept by the indexer, off the ingestion path (IndexSales).
	bucketByTime = []byte("by_time_blocks")
	// session id (4) event time (12) sale id (8) -> 0, in KeyBlocks:
	// ListSales of one session; kept by the indexer too.
	bucketBySession = []byte("by_session_blocks")
	// "through" -> the last sale id (8) the listing indexes cover.
	bucketListing = []byte("listing")
	// order's sale id (8) -> Refunded: what its refunds took so far.
	bucketRefunds = []byte("order_refunds")
	// session id (4) -> SessionRecord; the bucket's sequence gives the ids.
	bucketSessions = []byte("sessions")
	// product id (4) -> ProductRecord; the bucket's sequence gives the ids.
	bucketProducts = []byte("products")
	// session id (4) product id (4) day (4, offset by 2^31) -> Cell.
	bucketCells = []byte("cell_records")
	// "alliance" -> Totals of every stored sale: the bound that keeps every
	// figure of every report inside int64 (see ingest's TOTAL_OVERFLOW).
	bucketTotals = []byte("alliance_totals")
	// session name 0x00 as_of (12) -> SessionMetrics: a session's traffic
	// snapshots in as_of order. A bucket added to schema 3 (made on open);
	// older files simply have no snapshots yet.
	bucketSessionMetrics = []byte("session_metrics")
	// "log_id" -> 16 random bytes naming this file's write-ahead log
	// (sales.wal, whose entries carry it); "applied" -> the seq (8) of the
	// last log entry this file holds. Made on open, like session_metrics.
	bucketWAL = []byte("wal")
)

// Schema of sales.db. Version 2 stored times in kit/timekey's exact forms
// (version 1 used UnixNano) and added the totals; version 3 stores
// protobuf records, sales in compressed blocks, names in dictionaries and
// the indexes in front-coded blocks. Each migration moves a file one step.
var Schema = boltdb.Schema{
	Version:    3,
	Buckets:    buckets,
	Migrations: []boltdb.Migration{{From: 1, Run: migrateV1}, {From: 2, Run: migrateV2}},
}

var buckets = [][]byte{bucketSaleBlocks, bucketSaleKeys, bucketByTime, bucketBySession, bucketListing,
	bucketRefunds, bucketSessions, bucketProducts, bucketCells, bucketTotals, bucketSessionMetrics, bucketWAL}

var (
	totalsKey  = []byte("alliance")
	throughKey = []byte("through")
)

package store

import (
	"bytes"
	"fmt"
	"time"

	storev1 "github.com/cqlive/alliance/gen/pb/alliance/sales/store/v1"
	"github.com/cqlive/alliance/services/kit/timekey"
	"github.com/cqlive/alliance/services/sales-reporting/internal/ingest"
	bolt "go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Traffic snapshots live in their own bucket and their own transactions
// (ingest's traffic group commit): a snapshot touches one key, and no sale.

// metricsTx is ingest.MetricsTx and ingest.MetricsReadTx over bbolt.
type metricsTx struct{ b *bolt.Bucket }

// UpdateMetrics implements ingest.MetricsRepo: fn's snapshots commit in
// one bbolt transaction (with fsync), or none do.
func (s *Store) UpdateMetrics(fn func(ingest.MetricsTx) error) error {
	return s.writeDirect(func(btx *bolt.Tx) error { return fn(metricsTx{btx.Bucket(bucketSessionMetrics)}) })
}

// ViewMetrics implements ingest.MetricsRepo.
func (s *Store) ViewMetrics(fn func(ingest.MetricsReadTx) error) error {
	return s.db.View(func(btx *bolt.Tx) error { return fn(metricsTx{btx.Bucket(bucketSessionMetrics)}) })
}

// ForEachLatestMetrics calls fn with each session's newest snapshot, in
// session name order: what start-up gives the report engine.
func (s *Store) ForEachLatestMetrics(fn func(*ingest.SessionMetrics) error) error {
	return s.db.View(func(btx *bolt.Tx) error {
		c := btx.Bucket(bucketSessionMetrics).Cursor()
		var lastK, lastV []byte
		flush := func() error {
			if lastK == nil {
				return nil
			}
			m, err := metricsOf(lastK, lastV)
			if err != nil {
				return err
			}
			return fn(m)
		}
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if lastK != nil && !bytes.Equal(sessionOfKey(k), sessionOfKey(lastK)) {
				if err := flush(); err != nil {
					return err
				}
			}
			lastK, lastV = k, v
		}
		return flush()
	})
}

func metricsPrefix(session string) []byte { return append([]byte(session), 0) }

func metricsKey(session string, asOf time.Time) []byte {
	return timekey.AppendKey(metricsPrefix(session), asOf)
}

func sessionOfKey(k []byte) []byte {
	if len(k) < timekey.Size+1 {
		return nil
	}
	return k[:len(k)-timekey.Size-1]
}

func (t metricsTx) MetricsAround(session string, asOf time.Time) (prev, same, next *ingest.SessionMetrics, err error) {
	key, prefix := metricsKey(session, asOf), metricsPrefix(session)
	c := t.b.Cursor()
	k, v := c.Seek(key)
	if k != nil && bytes.Equal(k, key) {
		if same, err = metricsOf(k, v); err != nil {
			return
		}
		k, v = c.Next()
	}
	if k != nil && bytes.HasPrefix(k, prefix) && len(k) == len(prefix)+timekey.Size {
		if next, err = metricsOf(k, v); err != nil {
			return
		}
	}
	// The key before the first at or after key (the last key, when none is).
	if k, _ = c.Seek(key); k == nil {
		k, v = c.Last()
	} else {
		k, v = c.Prev()
	}
	if k != nil && bytes.HasPrefix(k, prefix) && len(k) == len(prefix)+timekey.Size && bytes.Compare(k, key) < 0 {
		prev, err = metricsOf(k, v)
	}
	return
}

func (t metricsTx) PutMetrics(m *ingest.SessionMetrics) error {
	v, err := proto.Marshal(metricsRecord(m))
	if err != nil {
		return err
	}
	return t.b.Put(metricsKey(m.Session, m.AsOf), v)
}

func (t metricsTx) LatestMetrics(session string) (*ingest.SessionMetrics, error) {
	prefix := metricsPrefix(session)
	// The session's keys end before the first key of session + 0x01.
	end := append([]byte(session), 1)
	c := t.b.Cursor()
	k, v := c.Seek(end)
	if k == nil {
		k, v = c.Last()
	} else {
		k, v = c.Prev()
	}
	if k == nil || !bytes.HasPrefix(k, prefix) || len(k) != len(prefix)+timekey.Size {
		return nil, nil
	}
	return metricsOf(k, v)
}

func metricsRecord(m *ingest.SessionMetrics) *storev1.SessionMetrics {
	r := &storev1.SessionMetrics{
		Platform: m.Platform, Views: m.Views, Viewers: m.Viewers, PeakConcurrentViewers: m.PeakConcurrentViewers,
		AverageViewDurationNanos: int64(m.AverageViewDuration), Likes: m.Likes, Comments: m.Comments, Shares: m.Shares,
		NewFollowers: m.NewFollowers, ProductImpressions: m.ProductImpressions, ProductClicks: m.ProductClicks,
	}
	if !m.CreateTime.IsZero() {
		r.CreateTime = timestamppb.New(m.CreateTime)
	}
	if !m.SessionStart.IsZero() {
		r.SessionStart = timestamppb.New(m.SessionStart)
	}
	a := m.Attr
	r.Host, r.Agency, r.Base, r.Studio, r.District, r.Official = a.Host, a.Agency, a.Base, a.Studio, a.District, a.Official
	for _, p := range m.Products {
		r.Products = append(r.Products, &storev1.ProductTraffic{Product: p.Product, Impressions: p.Impressions, Clicks: p.Clicks})
	}
	return r
}

// metricsOf decodes a stored snapshot; the key holds its session and as_of.
func metricsOf(k, v []byte) (*ingest.SessionMetrics, error) {
	ses := sessionOfKey(k)
	if ses == nil || k[len(ses)] != 0 {
		return nil, fmt.Errorf("session_metrics: bad key %q", k)
	}
	asOf, err := timekey.ParseKey(k[len(ses)+1:])
	if err != nil {
		return nil, fmt.Errorf("session_metrics %q: %w", k, err)
	}
	var r storev1.SessionMetrics
	if err := proto.Unmarshal(v, &r); err != nil {
		return nil, fmt.Errorf("session_metrics %q: %w", k, err)
	}
	m := &ingest.SessionMetrics{
		Session: string(ses), Platform: r.GetPlatform(), AsOf: asOf,
		Views: r.GetViews(), Viewers: r.GetViewers(), PeakConcurrentViewers: r.GetPeakConcurrentViewers(),
		AverageViewDuration: time.Duration(r.GetAverageViewDurationNanos()), Likes: r.GetLikes(), Comments: r.GetComments(),
		Shares: r.GetShares(), NewFollowers: r.GetNewFollowers(), ProductImpressions: r.GetProductImpressions(), ProductClicks: r.GetProductClicks(),
	}
	if r.GetCreateTime() != nil {
		m.CreateTime = r.GetCreateTime().AsTime()
	}
	if r.GetSessionStart() != nil {
		m.SessionStart = r.GetSessionStart().AsTime()
	}
	m.Attr = ingest.SessionAttr{Host: r.GetHost(), Agency: r.GetAgency(), Base: r.GetBase(), Studio: r.GetStudio(),
		District: r.GetDistrict(), Official: r.GetOfficial()}
	for _, p := range r.GetProducts() {
		m.Products = append(m.Products, ingest.ProductTraffic{Product: p.GetProduct(), Impressions: p.GetImpressions(), Clicks: p.GetClicks()})
	}
	return m, nil
}

package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/cqlive/alliance/services/kit/boltdb"
	"github.com/cqlive/alliance/services/session-scheduling/internal/scheduling"
	bolt "go.etcd.io/bbolt"
)

// fromSchemaOne moves a schema-1 file to schema 2: its index keys were
// Unix nanoseconds, which wrap outside 1677-2262, so every index and
// counter is rebuilt from the records. Those hold their times as RFC 3339
// text, exact over the whole Timestamp range, and are read as they are.
func fromSchemaOne(tx *bolt.Tx) error { return rebuild(tx, decodeJSON) }

// fromSchemaTwo moves a schema-2 file to schema 3: each JSON record is
// written again as a storev1.Session, and the indexes are rebuilt, since
// schema 3 adds the index by agency and the one of open sessions. The
// sessions of older files have no agency (it was not kept), so an
// agency's daily quota does not count them.
func fromSchemaTwo(tx *bolt.Tx) error {
	b := tx.Bucket(bucketSessions)
	if b == nil {
		return nil
	}
	err := boltdb.Rewrite(b, func(id, raw []byte) ([]byte, error) {
		s, err := decodeJSON(string(id), raw)
		if err != nil {
			return nil, err
		}
		return encodeSession(s)
	})
	if err != nil {
		return err
	}
	return rebuild(tx, decodeSession)
}

// rebuild drops every derived bucket and writes it again from the session
// records, read with decode.
//
// The entries are collected and written in key order: within one bbolt
// transaction a node is split only at commit, so writing a large bucket
// in random order costs time quadratic in its size (184,000 sessions took
// two minutes), and in order it is an append.
func rebuild(tx *bolt.Tx, decode func(id string, raw []byte) (*scheduling.Session, error)) error {
	for _, name := range derived {
		if tx.Bucket(name) != nil {
			if err := tx.DeleteBucket(name); err != nil {
				return err
			}
		}
		if _, err := tx.CreateBucket(name); err != nil {
			return err
		}
	}
	sessions := tx.Bucket(bucketSessions)
	if sessions == nil {
		return nil
	}
	type kv struct{ key, val []byte }
	index := map[string][]kv{}
	counts := map[string]map[string]int64{}
	err := sessions.ForEach(func(id, raw []byte) error {
		s, err := decode(string(id), raw)
		if err != nil {
			return err
		}
		for _, e := range entries(s) {
			name := string(e.bucket)
			if !e.count {
				index[name] = append(index[name], kv{e.key, e.val})
				continue
			}
			if counts[name] == nil {
				counts[name] = map[string]int64{}
			}
			counts[name][string(e.key)]++
		}
		return nil
	})
	if err != nil {
		return err
	}
	for name, list := range index {
		slices.SortFunc(list, func(a, b kv) int { return bytes.Compare(a.key, b.key) })
		b := tx.Bucket([]byte(name))
		for _, e := range list {
			if err := b.Put(e.key, e.val); err != nil {
				return err
			}
		}
	}
	for name, m := range counts {
		b := tx.Bucket([]byte(name))
		for _, key := range slices.Sorted(maps.Keys(m)) {
			if err := b.Put([]byte(key), binary.BigEndian.AppendUint64(nil, uint64(m[key]))); err != nil {
				return err
			}
		}
	}
	return nil
}

// jsonSession is a session record of schemas 1 and 2, as the store wrote
// it with encoding/json before protobuf records. It is frozen: only the
// migrations read it.
type jsonSession struct {
	ID             string    `json:"id"`
	Title          string    `json:"title"`
	Host           string    `json:"host"`
	Studio         string    `json:"studio"`
	Merchants      []string  `json:"merchants,omitempty"`
	Products       []string  `json:"products,omitempty"`
	Platform       int       `json:"platform"`
	PlatformRoomID string    `json:"platform_room_id,omitempty"`
	Start          time.Time `json:"start"`
	End            time.Time `json:"end"`
	State          int       `json:"state"`
	ActualStart    time.Time `json:"actual_start,omitzero"`
	ActualEnd      time.Time `json:"actual_end,omitzero"`
	CancelReason   string    `json:"cancel_reason,omitempty"`
	CreateTime     time.Time `json:"create_time"`
	UpdateTime     time.Time `json:"update_time"`
	Revision       uint64    `json:"revision"`
}

func decodeJSON(id string, raw []byte) (*scheduling.Session, error) {
	var j jsonSession
	if err := json.Unmarshal(raw, &j); err != nil {
		return nil, fmt.Errorf("session %q: %w", id, err)
	}
	return &scheduling.Session{
		ID: id, Title: j.Title, Host: j.Host, Studio: j.Studio, Merchants: j.Merchants, Products: j.Products,
		Platform: scheduling.Platform(j.Platform), PlatformRoomID: j.PlatformRoomID, Start: j.Start, End: j.End,
		State: scheduling.State(j.State), ActualStart: j.ActualStart, ActualEnd: j.ActualEnd, CancelReason: j.CancelReason,
		CreateTime: j.CreateTime, UpdateTime: j.UpdateTime, Revision: j.Revision,
	}, nil
}

package store

import (
	"encoding/binary"
	"errors"
	"time"

	"github.com/cqlive/alliance/services/kit/timekey"
)

// The values are a compact binary encoding: a version byte, then varints
// and length-prefixed strings in a fixed order. It is the hot path of
// ingestion, where JSON would cost more than the bbolt write.
//
// Times are kit/timekey's exact forms. Records of version 1 (schema 1)
// held UnixNano, which wraps outside 1677–2262; only the migration to
// schema 2 still reads them (dec.legacy).

var errCorrupt = errors.New("store: corrupt record")

type enc struct{ b []byte }

func (e *enc) u(v uint64)    { e.b = binary.AppendUvarint(e.b, v) }
func (e *enc) i(v int64)     { e.b = binary.AppendVarint(e.b, v) }
func (e *enc) s(v string)    { e.u(uint64(len(v))); e.b = append(e.b, v...) }
func (e *enc) t(v time.Time) { e.b = timekey.AppendVarint(e.b, v) }
func (e *enc) bool(v bool) {
	if v {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
}
func (e *enc) strs(v []string) {
	e.u(uint64(len(v)))
	for _, x := range v {
		e.s(x)
	}
}

type dec struct {
	b   []byte
	err error
	// legacy reads times as schema 1 wrote them (UnixNano, 0 for none).
	legacy bool
}

func (d *dec) u() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = errCorrupt
		return 0
	}
	d.b = d.b[n:]
	return v
}
func (d *dec) i() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.err = errCorrupt
		return 0
	}
	d.b = d.b[n:]
	return v
}
func (d *dec) s() string {
	n := d.u()
	if d.err != nil || uint64(len(d.b)) < n {
		d.err = errCorrupt
		return ""
	}
	v := string(d.b[:n])
	d.b = d.b[n:]
	return v
}
func (d *dec) t() time.Time {
	if d.err != nil {
		return time.Time{}
	}
	if d.legacy {
		v := d.i()
		if v == 0 {
			return time.Time{}
		}
		return time.Unix(0, v).UTC()
	}
	t, rest, err := timekey.ReadVarint(d.b)
	if err != nil {
		d.err = errCorrupt
		return time.Time{}
	}
	d.b = rest
	return t
}
func (d *dec) bool() bool {
	if d.err != nil || len(d.b) < 1 {
		d.err = errCorrupt
		return false
	}
	v := d.b[0] == 1
	d.b = d.b[1:]
	return v
}
func (d *dec) strs() []string {
	n := d.u()
	if d.err != nil || n > uint64(len(d.b)) {
		d.err = errCorrupt
		return nil
	}
	out := make([]string, 0, n)
	for range n {
		out = append(out, d.s())
	}
	return out
}
func (d *dec) version(want byte) {
	if len(d.b) < 1 || d.b[0] != want {
		d.err = errCorrupt
		return
	}
	d.b = d.b[1:]
}

// u64 is a big-endian key, so ids sort in bbolt as numbers.
func u64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

// timeKey orders times in bbolt, exactly over the whole Timestamp range.
func timeKey(b []byte, t time.Time) []byte { return timekey.AppendKey(b, t) }

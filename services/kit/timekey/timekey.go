// Package timekey encodes instants exactly, over the whole range a
// google.protobuf.Timestamp can carry (0001-01-01 to 9999-12-31), where
// UnixNano wraps outside 1677–2262.
//
// Two forms:
//   - Key: 12 bytes that sort in bbolt as the instants do (seconds with the
//     sign bit flipped, big-endian, then nanoseconds big-endian), for index
//     keys;
//   - AppendVarint/ReadVarint: a compact form for values (zigzag varint
//     seconds, then varint nanoseconds), with the zero time as one byte.
package timekey

import (
	"encoding/binary"
	"errors"
	"time"
)

// Size is the length of a Key.
const Size = 12

// Limits of the range this package encodes, as protobuf's Timestamp
// defines it. Times outside are refused by the API before they reach a
// store; Check says whether t lies inside.
var (
	Min = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	Max = time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC)
)

// Check reports whether t lies in [Min, Max].
func Check(t time.Time) bool { return !t.Before(Min) && !t.After(Max) }

// ErrCorrupt reports bytes that are not an encoding of this package.
var ErrCorrupt = errors.New("timekey: corrupt encoding")

// AppendKey appends the sortable 12-byte form of t.
func AppendKey(b []byte, t time.Time) []byte {
	b = binary.BigEndian.AppendUint64(b, uint64(t.Unix())^(1<<63))
	return binary.BigEndian.AppendUint32(b, uint32(t.Nanosecond()))
}

// Key is AppendKey(nil, t).
func Key(t time.Time) []byte { return AppendKey(make([]byte, 0, Size), t) }

// ParseKey reads a Key back as a UTC time.
func ParseKey(k []byte) (time.Time, error) {
	if len(k) < Size {
		return time.Time{}, ErrCorrupt
	}
	sec := int64(binary.BigEndian.Uint64(k[:8]) ^ (1 << 63))
	nsec := binary.BigEndian.Uint32(k[8:Size])
	if nsec > 999999999 {
		return time.Time{}, ErrCorrupt
	}
	return time.Unix(sec, int64(nsec)).UTC(), nil
}

// AppendVarint appends the compact form of t; the zero time.Time is the
// single byte 0x00, and every other instant round-trips exactly.
func AppendVarint(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(b, 0)
	}
	// Shift nanoseconds by one so that 0 stays the zero time's marker.
	b = binary.AppendUvarint(b, uint64(t.Nanosecond())+1)
	return binary.AppendVarint(b, t.Unix())
}

// ReadVarint reads what AppendVarint wrote and returns the rest of b.
func ReadVarint(b []byte) (time.Time, []byte, error) {
	ns, n := binary.Uvarint(b)
	if n <= 0 || ns > 1000000000 {
		return time.Time{}, nil, ErrCorrupt
	}
	b = b[n:]
	if ns == 0 {
		return time.Time{}, b, nil
	}
	sec, n := binary.Varint(b)
	if n <= 0 {
		return time.Time{}, nil, ErrCorrupt
	}
	return time.Unix(sec, int64(ns-1)).UTC(), b[n:], nil
}

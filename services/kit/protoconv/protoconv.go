// Package protoconv is the one conversion layer between the API's shared
// types (google.protobuf.Timestamp and Duration, alliance.type.v1.Money,
// enum names) and the domain's Go values. Every rpc adapter reads and
// writes them through it, so that one malformed value gets one answer in
// every service.
package protoconv

import (
	"strings"
	"time"

	typev1 "github.com/cqlive/alliance/gen/pb/alliance/type/v1"
	"github.com/cqlive/alliance/services/kit/fault"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Time reads an optional timestamp of field. Absent is the zero
// time.Time, which the domain takes for "not given". A timestamp that is
// not valid (seconds outside 0001-01-01..9999-12-31, nanos outside
// 0..999,999,999) is a violation of field, added to v.
//
// The zero time is also the first instant a Timestamp can carry,
// 0001-01-01T00:00:00Z, which a caller may well send. No instant the
// suite stores or filters by is that early (every stored time is bounded
// far above it), so that instant is read as one nanosecond later: as a
// filter bound it selects exactly the same records, and as a record's
// time it meets the bound it breaks rather than "is required".
func Time(v *fault.Invalid, field string, ts *timestamppb.Timestamp) time.Time {
	if ts == nil {
		return time.Time{}
	}
	if err := ts.CheckValid(); err != nil {
		v.Add(field, "is not a valid timestamp: %v", err)
		return time.Time{}
	}
	t := ts.AsTime()
	if t.IsZero() {
		return t.Add(time.Nanosecond)
	}
	return t
}

// AnswerTime reads a timestamp of another service's answer: absent is the
// zero time, as is one that is not valid, which no service of the suite
// sends.
func AnswerTime(ts *timestamppb.Timestamp) time.Time {
	if ts == nil || ts.CheckValid() != nil {
		return time.Time{}
	}
	return ts.AsTime()
}

// Timestamp is t on the wire; nil for the zero time (not set).
func Timestamp(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

// RecordTime reads back a timestamp that a store wrote with Timestamp
// into one of its records: absent is the zero time. Unlike AnswerTime it
// keeps a timestamp that is not valid as it is (a store writes none).
func RecordTime(ts *timestamppb.Timestamp) time.Time {
	if ts == nil {
		return time.Time{}
	}
	return ts.AsTime()
}

// Duration reads an optional duration of field; absent is 0. One that is
// not valid (outside ±10,000 years, or seconds and nanos of different
// signs) is a violation of field, added to v.
func Duration(v *fault.Invalid, field string, d *durationpb.Duration) time.Duration {
	if d == nil {
		return 0
	}
	if err := d.CheckValid(); err != nil {
		v.Add(field, "is not a valid duration: %v", err)
		return 0
	}
	return d.AsDuration()
}

// Money is an amount on the wire: integer minor units of an ISO 4217 currency.
func Money(currency string, minorUnits int64) *typev1.Money {
	return &typev1.Money{CurrencyCode: currency, MinorUnits: minorUnits}
}

// FromMoney reads an amount; absent is ("", 0), which the domain's rules refuse.
func FromMoney(m *typev1.Money) (currency string, minorUnits int64) {
	return m.GetCurrencyCode(), m.GetMinorUnits()
}

// EnumName is the name of an enum value without the enum's prefix, as the
// domain and ErrorInfo spell it (MEMBER_KIND_HOST is HOST, PLATFORM_DOUYIN
// is DOUYIN); "" for the zero value (..._UNSPECIFIED) and for a number the
// enum does not have. The prefix is the zero value's name less
// UNSPECIFIED, which buf's lint requires of every enum.
func EnumName(e protoreflect.Enum) string { return ValueName(e.Descriptor(), e.Number()) }

// ValueName is EnumName of value n of enum d: the one place an enum's
// prefix is taken off (ERROR_REASON_ETAG_MISMATCH is the reason
// ETAG_MISMATCH).
func ValueName(d protoreflect.EnumDescriptor, n protoreflect.EnumNumber) string {
	if n == 0 {
		return ""
	}
	v := d.Values().ByNumber(n)
	if v == nil {
		return ""
	}
	return strings.TrimPrefix(string(v.Name()), prefix(d))
}

// Enum is a generated enum type (typev1.Platform, say).
type Enum interface {
	~int32
	protoreflect.Enum
}

// EnumNames is EnumName of the values of enum E, taken once from its
// descriptor into a table by number and one by name: for a conversion on
// a hot path (the platform of every line of a sales import and of every
// answered sale), where a look-up in the descriptor each time costs. Name
// answers as EnumName does, Number as EnumNumber does.
type EnumNames[E Enum] struct {
	d       protoreflect.EnumDescriptor
	names   []string     // by number, from 0
	numbers map[string]E // by name, the zero value left out
}

// maxTabled bounds the numbers an EnumNames holds in its table; a value
// numbered higher (or below 0) is looked up in the descriptor.
const maxTabled = 1024

// NamesOf is the EnumNames of enum E.
func NamesOf[E Enum]() EnumNames[E] {
	t := EnumNames[E]{d: E(0).Descriptor(), numbers: map[string]E{}}
	values := t.d.Values()
	for i := range values.Len() {
		n := values.Get(i).Number()
		name := ValueName(t.d, n)
		if name != "" {
			t.numbers[name] = E(n)
		}
		if n < 0 || n >= maxTabled {
			continue
		}
		for int(n) >= len(t.names) {
			t.names = append(t.names, "")
		}
		t.names[n] = name
	}
	return t
}

// Name is EnumName(e).
func (t *EnumNames[E]) Name(e E) string {
	if e >= 0 && int(e) < len(t.names) {
		return t.names[e]
	}
	return ValueName(t.d, protoreflect.EnumNumber(e))
}

// Number is EnumNumber of the enum's descriptor and name: the value named
// name without its prefix (DOUYIN), the zero value for any other name.
func (t *EnumNames[E]) Number(name string) E {
	if e, ok := t.numbers[name]; ok {
		return e
	}
	return E(EnumNumber(t.d, name))
}

// EnumNumber is the number of the value of enum d named name without its
// prefix (DOUYIN); 0, the zero value, for a name the enum does not have.
func EnumNumber(d protoreflect.EnumDescriptor, name string) protoreflect.EnumNumber {
	if name == "" {
		return 0
	}
	if v := d.Values().ByName(protoreflect.Name(prefix(d) + name)); v != nil {
		return v.Number()
	}
	return 0
}

func prefix(d protoreflect.EnumDescriptor) string {
	zero := d.Values().ByNumber(0)
	if zero == nil {
		return ""
	}
	return strings.TrimSuffix(string(zero.Name()), "UNSPECIFIED")
}

// List converts a list of domain values for an answer, in order, with
// toProto. The result is never nil: an empty page is an empty list.
func List[T, P any](xs []T, toProto func(T) P) []P {
	out := make([]P, 0, len(xs))
	for _, x := range xs {
		out = append(out, toProto(x))
	}
	return out
}

package protoconv_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	memberv1 "github.com/cqlive/alliance/gen/pb/alliance/member/v1"
	typev1 "github.com/cqlive/alliance/gen/pb/alliance/type/v1"
	"github.com/cqlive/alliance/services/kit/fault"
	"github.com/cqlive/alliance/services/kit/protoconv"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

func violations(v *fault.Invalid) []string {
	fe, _ := fault.As(v.Err())
	if fe == nil {
		return nil
	}
	var out []string
	for _, fv := range fe.Violations {
		out = append(out, fv.Field)
	}
	return out
}

func TestTime(t *testing.T) {
	t0 := time.Date(2026, 3, 10, 12, 0, 0, 5, time.UTC)
	for _, c := range []struct {
		name    string
		ts      *timestamppb.Timestamp
		want    time.Time
		invalid bool
	}{
		{name: "absent is the zero time: not given", ts: nil, want: time.Time{}},
		{name: "an instant is read exactly, to the nanosecond", ts: timestamppb.New(t0), want: t0},
		{name: "the first instant of a Timestamp is not taken for absent", ts: timestamppb.New(time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)),
			want: time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC)},
		{name: "the last instant of a Timestamp is valid", ts: &timestamppb.Timestamp{Seconds: 253402300799, Nanos: 999999999},
			want: time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC)},
		{name: "beyond 9999 is not a valid timestamp", ts: &timestamppb.Timestamp{Seconds: 253402300800}, invalid: true},
		{name: "before year 1 is not a valid timestamp", ts: &timestamppb.Timestamp{Seconds: -62135596801}, invalid: true},
		{name: "negative nanos are not a valid timestamp", ts: &timestamppb.Timestamp{Seconds: 1, Nanos: -1}, invalid: true},
		{name: "a billion nanos are not a valid timestamp", ts: &timestamppb.Timestamp{Seconds: 1, Nanos: 1e9}, invalid: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			var v fault.Invalid
			got := protoconv.Time(&v, "sale.event_time", c.ts)
			if c.invalid {
				if !slices.Equal(violations(&v), []string{"sale.event_time"}) {
					t.Fatalf("violations %v, want sale.event_time", violations(&v))
				}
				return
			}
			if !v.Empty() || !got.Equal(c.want) {
				t.Fatalf("%v (%v), want %v", got, v.Err(), c.want)
			}
			if back := protoconv.Timestamp(got); c.ts == nil && back != nil || c.ts != nil && !back.AsTime().Equal(got) {
				t.Fatalf("written back as %v", back)
			}
		})
	}
}

func TestDuration(t *testing.T) {
	var v fault.Invalid
	if d := protoconv.Duration(&v, "duration", durationpb.New(90*time.Minute)); d != 90*time.Minute || !v.Empty() {
		t.Fatalf("%v %v", d, v.Err())
	}
	if d := protoconv.Duration(&v, "duration", nil); d != 0 || !v.Empty() {
		t.Fatalf("absent: %v %v", d, v.Err())
	}
	protoconv.Duration(&v, "duration", &durationpb.Duration{Seconds: 1, Nanos: -1})
	if !slices.Equal(violations(&v), []string{"duration"}) {
		t.Fatalf("mixed signs: %v", violations(&v))
	}
}

func TestMoney(t *testing.T) {
	if c, m := protoconv.FromMoney(protoconv.Money("CNY", 1250)); c != "CNY" || m != 1250 {
		t.Fatalf("%s %d", c, m)
	}
	if c, m := protoconv.FromMoney(nil); c != "" || m != 0 {
		t.Fatalf("absent: %s %d", c, m)
	}
}

func TestEnumNames(t *testing.T) {
	if n := protoconv.EnumName(typev1.Platform_PLATFORM_WECHAT_CHANNELS); n != "WECHAT_CHANNELS" {
		t.Fatalf("platform: %q", n)
	}
	if n := protoconv.EnumName(memberv1.MemberKind_MEMBER_KIND_DISTRICT_OFFICE); n != "DISTRICT_OFFICE" {
		t.Fatalf("member kind: %q", n)
	}
	if n := protoconv.EnumName(typev1.ErrorReason_ERROR_REASON_ETAG_MISMATCH); n != "ETAG_MISMATCH" {
		t.Fatalf("error reason: %q", n)
	}
	if protoconv.EnumName(typev1.Platform_PLATFORM_UNSPECIFIED) != "" || protoconv.EnumName(typev1.Platform(99)) != "" {
		t.Fatal("the zero value and an unknown number have no name")
	}
	d := typev1.Platform(0).Descriptor()
	if protoconv.EnumNumber(d, "DOUYIN") != 2 || protoconv.EnumNumber(d, "NOPE") != 0 || protoconv.EnumNumber(d, "") != 0 {
		t.Fatal("EnumNumber")
	}
}

// An EnumNames table names every value as EnumName does, and a number
// past the table or below 0 too.
func TestEnumNamesAnswerAsEnumName(t *testing.T) {
	checkEnumNames(t, protoconv.NamesOf[typev1.Platform](), 1000, -1)
	checkEnumNames(t, protoconv.NamesOf[memberv1.MemberKind](), 99)
}

func checkEnumNames[E protoconv.Enum](t *testing.T, names protoconv.EnumNames[E], others ...E) {
	t.Helper()
	values := E(0).Descriptor().Values()
	for i := range values.Len() {
		others = append(others, E(values.Get(i).Number()))
	}
	// Number answers as EnumNumber for each value's name, its full name
	// (PLATFORM_DOUYIN, no name), another case and names of no value.
	spellings := []string{"", "not-a-value"}
	for _, e := range others {
		if got, want := names.Name(e), protoconv.EnumName(e); got != want {
			t.Errorf("%T %d named %q, want %q", e, e, got, want)
		}
	}
	for i := range values.Len() {
		v := values.Get(i)
		name := protoconv.EnumName(E(v.Number()))
		spellings = append(spellings, name, string(v.Name()), strings.ToLower(name))
	}
	for _, name := range spellings {
		if got, want := names.Number(name), E(protoconv.EnumNumber(E(0).Descriptor(), name)); got != want {
			t.Errorf("%T named %q numbered %d, want %d", want, name, got, want)
		}
	}
	if got := names.Number(protoconv.EnumName(E(values.Get(values.Len() - 1).Number()))); got == 0 {
		t.Errorf("%T: the name of its last value numbered 0", got)
	}
}

func TestAnswerTime(t *testing.T) {
	t0 := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	if got := protoconv.AnswerTime(timestamppb.New(t0)); !got.Equal(t0) {
		t.Fatalf("%v", got)
	}
	// A nil Timestamp's AsTime is 1970-01-01: an absent actual time must stay absent.
	if !protoconv.AnswerTime(nil).IsZero() || !protoconv.AnswerTime(&timestamppb.Timestamp{Nanos: -1}).IsZero() {
		t.Fatal("absent or invalid must be the zero time")
	}
}

func TestRecordTimeReadsBackTimestamp(t *testing.T) {
	for _, t0 := range []time.Time{{}, time.Date(2026, 3, 10, 12, 0, 0, 7, time.UTC), time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC)} {
		if got := protoconv.RecordTime(protoconv.Timestamp(t0)); !got.Equal(t0) || got.Location() != time.UTC {
			t.Fatalf("%v read back as %v", t0, got)
		}
	}
}

func TestListKeepsOrderAndIsNeverNil(t *testing.T) {
	got := protoconv.List([]int64{3, 1, 2}, func(n int64) *typev1.Money { return protoconv.Money("CNY", n) })
	var units []int64
	for _, m := range got {
		units = append(units, m.GetMinorUnits())
	}
	if !slices.Equal(units, []int64{3, 1, 2}) {
		t.Fatalf("List = %v, want the amounts 3, 1, 2 in order", got)
	}
	if empty := protoconv.List([]int64(nil), func(n int64) *typev1.Money { return nil }); empty == nil || len(empty) != 0 {
		t.Fatalf("List of nothing = %#v, want an empty, non-nil list", empty)
	}
}

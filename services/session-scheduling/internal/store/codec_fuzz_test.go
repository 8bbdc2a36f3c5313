package store

import (
	"reflect"
	"testing"
	"time"

	"github.com/cqlive/alliance/services/session-scheduling/internal/scheduling"
	"google.golang.org/protobuf/proto"
)

// FuzzDecodeRecords: damaged bytes in session.db never panic the decoders,
// and whatever decodes as a session, a policy or a series is written back
// and read again unchanged, so that a rewrite of a record (a lapse, an
// update) keeps what was read.
func FuzzDecodeRecords(f *testing.F) {
	t0 := time.Date(2031, 5, 6, 10, 0, 0, 123456789, time.UTC)
	zero := time.Duration(0)
	sess := &scheduling.Session{ID: "s-1", Title: "巴南银针", Host: "members/h", Studio: "members/b/studios/s1",
		Merchants: []string{"members/m"}, Products: []string{"members/m/products/p"}, Platform: 4, PlatformRoomID: "r-9",
		Start: t0, End: t0.Add(time.Hour), State: scheduling.StateNoShow, ActualStart: t0.Add(time.Minute),
		CancelReason: "c", DeclineReason: "d", Agency: "members/a", Series: "tea", CreateTime: t0, UpdateTime: t0, Revision: 7}
	pol := &scheduling.Policy{Studio: "members/b/studios/s1",
		OpeningHours: []scheduling.OpeningHours{{Day: time.Sunday, Open: 0, Close: 1440}},
		Blackouts:    []scheduling.Blackout{{Start: t0, End: t0.Add(time.Hour), Reason: "检修"}},
		MinNotice:    time.Hour, Buffer: &zero, HostWeeklyHours: 20, RequiresApproval: true, NoShowGrace: time.Minute, UpdateTime: t0, Revision: 3}
	ser := &scheduling.Series{ID: "tea", Template: *sess,
		Recurrence: scheduling.Recurrence{Frequency: scheduling.Weekly, Days: []time.Weekday{time.Tuesday}, Count: 5},
		SessionIDs: []string{"tea-20310506"}, Skipped: []scheduling.Skipped{{Start: t0, Code: "FAILED_PRECONDITION", Reason: "R", Message: "m"}}}
	for _, m := range []proto.Message{sessionRecord(sess), policyRecord(pol), seriesRecord(ser)} {
		raw, err := proto.Marshal(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		again := func(what string, v any, rec proto.Message, dec func([]byte) (any, error)) {
			out, err := proto.Marshal(rec)
			if err != nil {
				return // e.g. a string that is not UTF-8 cannot be written back
			}
			back, err := dec(out)
			if err != nil || !reflect.DeepEqual(back, v) {
				t.Fatalf("%s %#v reads back as %#v, %v", what, v, back, err)
			}
		}
		if s, err := decodeSession("s-1", raw); err == nil {
			again("session", s, sessionRecord(s), func(b []byte) (any, error) { return decodeSession("s-1", b) })
		}
		if p, err := decodePolicy("members/b/studios/s1", raw); err == nil {
			again("policy", p, policyRecord(p), func(b []byte) (any, error) { return decodePolicy("members/b/studios/s1", b) })
		}
		if s, err := decodeSeries("tea", raw); err == nil {
			again("series", s, seriesRecord(s), func(b []byte) (any, error) { return decodeSeries("tea", b) })
		}
	})
}

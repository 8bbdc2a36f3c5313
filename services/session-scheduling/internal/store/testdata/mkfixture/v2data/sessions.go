// Package v2data holds the sessions of session-v2.db in one place: mkfixture
// wrote them into the file, and migrate_test.go checks that they read back
// unchanged after the migration. It builds against the scheduling package
// of schema 2 (commit 8eeda7a) as well as today's, so that mkfixture can
// still be run there (see mkfixture's comment).
package v2data

import (
	"time"

	"github.com/cqlive/alliance/services/session-scheduling/internal/scheduling"
)

// At reads an RFC 3339 time; a typo in the table panics.
func At(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

// Sessions are the seven sessions of the fixture: every state of schema 2,
// nanosecond times, Chinese text, an interval across a new year, the ends
// of the time range (1500, 9999) and one of the longest length (12h).
func Sessions() []*scheduling.Session {
	created := At("2029-12-20T08:00:00.123456Z")
	return []*scheduling.Session{
		{ID: "cancelled-1", Title: "周末专场", Host: "members/host-b", Studio: "members/base-x/studios/s1", Platform: 5,
			Start: At("2030-01-12T12:00:00Z"), End: At("2030-01-12T15:00:00Z"), State: scheduling.StateCancelled,
			CancelReason: "主播行程调整", CreateTime: created, UpdateTime: At("2030-01-08T09:00:00Z"), Revision: 2},
		{ID: "early", Title: "1500", Host: "members/host-c", Studio: "members/base-x/studios/s2", Platform: 7,
			Start: At("1500-06-01T10:00:00Z"), End: At("1500-06-01T11:00:00Z"), State: scheduling.StateEnded,
			ActualStart: At("1500-06-01T10:00:00Z"), ActualEnd: At("1500-06-01T11:00:00Z"), CreateTime: created, UpdateTime: created, Revision: 1},
		{ID: "ended-1", Title: "跨年夜", Host: "members/host-a", Studio: "members/base-y/studios/s1", Platform: 3,
			Start: At("2029-12-31T23:30:00Z"), End: At("2030-01-01T01:00:00Z"), State: scheduling.StateEnded,
			ActualStart: At("2029-12-31T23:31:00Z"), ActualEnd: At("2030-01-01T01:02:03.000000001Z"), CreateTime: created, UpdateTime: At("2030-01-01T01:02:03Z"), Revision: 3},
		{ID: "late", Title: "9999", Host: "members/host-c", Studio: "members/base-x/studios/s2", Platform: 7,
			Start: At("9999-12-31T20:00:00Z"), End: At("9999-12-31T22:00:00Z"), State: scheduling.StateScheduled,
			CreateTime: created, UpdateTime: created, Revision: 1},
		{ID: "live-1", Title: "奉节脐橙", Host: "members/host-b", Studio: "members/base-x/studios/s2", Platform: 1,
			Start: At("2030-01-07T10:30:00Z"), End: At("2030-01-07T13:30:00Z"), State: scheduling.StateLive,
			ActualStart: At("2030-01-07T10:25:00.5Z"), CreateTime: created, UpdateTime: At("2030-01-07T10:25:00.5Z"), Revision: 2},
		{ID: "long-1", Title: "十二小时", Host: "members/host-c", Studio: "members/base-y/studios/s1", Platform: 7,
			Start: At("2030-02-01T00:00:00Z"), End: At("2030-02-01T12:00:00Z"), State: scheduling.StateScheduled,
			CreateTime: created, UpdateTime: created, Revision: 1},
		{ID: "sched-1", Title: "巴南银针 直播专场", Host: "members/host-a", Studio: "members/base-x/studios/s1",
			Merchants: []string{"members/farm", "members/shop"}, Products: []string{"members/farm/products/tea", "members/shop/products/rice"},
			Platform: 2, PlatformRoomID: "dy-88", Start: At("2030-01-07T10:00:00.123456789Z"), End: At("2030-01-07T12:00:00Z"),
			State: scheduling.StateScheduled, CreateTime: created, UpdateTime: created, Revision: 1},
	}
}

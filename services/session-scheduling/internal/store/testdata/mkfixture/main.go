// Command mkfixture writes session-v2.db, a session scheduler's file of
// schema 2 (JSON records, times keyed by kit/timekey), through the store
// of that schema: the seven sessions that migrate2_test.go's v2Sessions
// lists (every state of schema 2, nanosecond times, Chinese text, an
// interval across a new year, the ends of the time range, one of the
// longest length), the request id "session/readme-1" and the page-token
// secret, as app.New makes it. v2Sessions is what that code reads back.
//
// It is kept here for the record; it builds only against the code of
// schema 2 (commit 8eeda7a):
//
//	git worktree add /tmp/v2 8eeda7a && cp -r testdata/mkfixture /tmp/v2/services/session-scheduling/internal/store/testdata/
//	cd /tmp/v2/services/session-scheduling && go run ./internal/store/testdata/mkfixture <this folder>
package main

import (
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/cqlive/alliance/services/kit/boltdb"
	"github.com/cqlive/alliance/services/session-scheduling/internal/scheduling"
	"github.com/cqlive/alliance/services/session-scheduling/internal/store"
)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

func main() {
	path := filepath.Join(os.Args[1], "session-v2.db")
	_ = os.Remove(path)
	st, err := store.Open(path, boltdb.Options{})
	check(err)
	_, err = boltdb.Secret(st.DB, "page-token")
	check(err)
	created := at("2029-12-20T08:00:00.123456Z")
	sessions := []*scheduling.Session{
		{ID: "cancelled-1", Title: "周末专场", Host: "members/host-b", Studio: "members/base-x/studios/s1", Platform: 5,
			Start: at("2030-01-12T12:00:00Z"), End: at("2030-01-12T15:00:00Z"), State: scheduling.StateCancelled,
			CancelReason: "主播行程调整", CreateTime: created, UpdateTime: at("2030-01-08T09:00:00Z"), Revision: 2},
		{ID: "early", Title: "1500", Host: "members/host-c", Studio: "members/base-x/studios/s2", Platform: 7,
			Start: at("1500-06-01T10:00:00Z"), End: at("1500-06-01T11:00:00Z"), State: scheduling.StateEnded,
			ActualStart: at("1500-06-01T10:00:00Z"), ActualEnd: at("1500-06-01T11:00:00Z"), CreateTime: created, UpdateTime: created, Revision: 1},
		{ID: "ended-1", Title: "跨年夜", Host: "members/host-a", Studio: "members/base-y/studios/s1", Platform: 3,
			Start: at("2029-12-31T23:30:00Z"), End: at("2030-01-01T01:00:00Z"), State: scheduling.StateEnded,
			ActualStart: at("2029-12-31T23:31:00Z"), ActualEnd: at("2030-01-01T01:02:03.000000001Z"), CreateTime: created, UpdateTime: at("2030-01-01T01:02:03Z"), Revision: 3},
		{ID: "late", Title: "9999", Host: "members/host-c", Studio: "members/base-x/studios/s2", Platform: 7,
			Start: at("9999-12-31T20:00:00Z"), End: at("9999-12-31T22:00:00Z"), State: scheduling.StateScheduled,
			CreateTime: created, UpdateTime: created, Revision: 1},
		{ID: "live-1", Title: "奉节脐橙", Host: "members/host-b", Studio: "members/base-x/studios/s2", Platform: 1,
			Start: at("2030-01-07T10:30:00Z"), End: at("2030-01-07T13:30:00Z"), State: scheduling.StateLive,
			ActualStart: at("2030-01-07T10:25:00.5Z"), CreateTime: created, UpdateTime: at("2030-01-07T10:25:00.5Z"), Revision: 2},
		{ID: "long-1", Title: "十二小时", Host: "members/host-c", Studio: "members/base-y/studios/s1", Platform: 7,
			Start: at("2030-02-01T00:00:00Z"), End: at("2030-02-01T12:00:00Z"), State: scheduling.StateScheduled,
			CreateTime: created, UpdateTime: created, Revision: 1},
		{ID: "sched-1", Title: "巴南银针 直播专场", Host: "members/host-a", Studio: "members/base-x/studios/s1",
			Merchants: []string{"members/farm", "members/shop"}, Products: []string{"members/farm/products/tea", "members/shop/products/rice"},
			Platform: 2, PlatformRoomID: "dy-88", Start: at("2030-01-07T10:00:00.123456789Z"), End: at("2030-01-07T12:00:00Z"),
			State: scheduling.StateScheduled, CreateTime: created, UpdateTime: created, Revision: 1},
	}
	check(st.Update(func(tx scheduling.Tx) error {
		for _, s := range sessions {
			if err := tx.PutSession(s); err != nil {
				return err
			}
		}
		return tx.PutRequest("session/readme-1", "sessions/sched-1")
	}))
	check(st.Close())
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}

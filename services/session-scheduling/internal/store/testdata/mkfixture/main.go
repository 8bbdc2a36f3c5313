// Command mkfixture writes session-v2.db, a session scheduler's file of
// schema 2 (JSON records, times keyed by kit/timekey), through the store
// of that schema: the seven sessions of package v2data (every state of
// schema 2, nanosecond times, Chinese text, an interval across a new year,
// the ends of the time range, one of the longest length), the request id
// "session/readme-1" and the page-token secret, as app.New makes it.
// migrate_test.go reads the same v2data back after the migration.
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

	"github.com/cqlive/alliance/services/kit/boltdb"
	"github.com/cqlive/alliance/services/session-scheduling/internal/scheduling"
	"github.com/cqlive/alliance/services/session-scheduling/internal/store"
	"github.com/cqlive/alliance/services/session-scheduling/internal/store/testdata/mkfixture/v2data"
)

func main() {
	path := filepath.Join(os.Args[1], "session-v2.db")
	_ = os.Remove(path)
	st, err := store.Open(path, boltdb.Options{})
	check(err)
	_, err = boltdb.Secret(st.DB, "page-token")
	check(err)
	sessions := v2data.Sessions()
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

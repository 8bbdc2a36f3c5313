package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	storev1 "github.com/cqlive/alliance/gen/pb/alliance/sales/store/v1"
	"github.com/cqlive/alliance/services/kit/boltdb"
	"github.com/cqlive/alliance/services/kit/boltdb/bolttest"
	"github.com/cqlive/alliance/services/sales-reporting/internal/ingest"
	"github.com/cqlive/alliance/services/sales-reporting/internal/report"
	bolt "go.etcd.io/bbolt"
)

// crash stops st as kill -9 would between two syscalls: the open write
// transaction is lost, the log stays as written.
func crash(t *testing.T, st *Store) {
	t.Helper()
	st.closeOnce.Do(func() {
		close(st.stop)
		<-st.stopped
		st.mu.Lock()
		defer st.mu.Unlock()
		if st.live != nil {
			_ = st.live.btx.Rollback()
			st.live = nil
		}
		st.closeErr = errors.Join(st.wal.close(), st.db.Close())
	})
	if st.closeErr != nil {
		t.Fatal(st.closeErr)
	}
}

func openAt(t *testing.T, path string, opts ...Option) *Store {
	t.Helper()
	st, err := Open(path, boltdb.Options{}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// logOnly opens a store on a new sales.db that flushes only when it
// closes: every group it answers stays in its log, and the test decides
// what sales.db holds (by Close, a crash or a copy).
func logOnly(t *testing.T) (path string, st *Store) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "sales.db")
	return path, openAt(t, path, FlushEvery(time.Hour))
}

// group writes what one group commit of the ingestion does: snapshots, n
// sales (every third a refund of the one before), their cells, the
// refunded sums and the totals. It returns the error of Update.
func group(st *Store, name string, n int, fail error) error {
	return groupWith(st.Update, name, n, fail)
}

// groupWith is group through update (Update, or UpdateLines).
func groupWith(update func(func(ingest.Tx) error) error, name string, n int, fail error) error {
	return update(func(tx ingest.Tx) error {
		ses := &ingest.Session{Name: "sessions/" + name, State: ingest.Ended, Platform: "DOUYIN", Attr: ingest.SessionAttr{Host: "members/h"}}
		p := &ingest.Product{Name: "members/m/products/p", Merchant: "members/m", Category: "tea"}
		if err := tx.PutSession(ses); err != nil {
			return err
		}
		if err := tx.PutProduct(p); err != nil {
			return err
		}
		totals, err := tx.Totals()
		if err != nil {
			return err
		}
		attr := ingest.Attribution(ses, p)
		for i := range n {
			id, err := tx.NextID()
			if err != nil {
				return err
			}
			s := &ingest.Sale{ID: id, Session: ses.Name, Product: p.Name, Kind: report.Order, Quantity: 2, Amount: int64(300 + i),
				Currency: "CNY", Platform: "DOUYIN", ExternalID: fmt.Sprintf("%s-%d", name, i),
				EventTime: base.Add(time.Duration(i)*time.Second + 7), CreateTime: base.Add(time.Hour)}
			if i%3 == 2 {
				s.Kind, s.RefundOf, s.Quantity, s.Amount = report.Refund, fmt.Sprintf("%s-%d", name, i-1), 1, 100
				order, err := tx.SaleByKey("DOUYIN", s.RefundOf)
				if err != nil || order == nil {
					return fmt.Errorf("order %s: %v %v", s.RefundOf, order, err)
				}
				q, a, err := tx.Refunded(order.ID)
				if err != nil {
					return err
				}
				if err := tx.SetRefunded(order.ID, q+s.Quantity, a+s.Amount); err != nil {
					return err
				}
			}
			if err := tx.PutSale(s); err != nil {
				return err
			}
			d := report.Delta{Session: s.Session, Product: s.Product, Attr: attr, Day: report.DayOf(s.EventTime, time.UTC),
				EventTime: s.EventTime, Kind: s.Kind, Quantity: s.Quantity, Amount: s.Amount}
			if err := tx.AddToCell(d, attr); err != nil {
				return err
			}
			totals.Add(d)
		}
		if err := tx.SetTotals(totals); err != nil {
			return err
		}
		return fail
	})
}

func mustGroup(t *testing.T, st *Store, name string, n int) {
	t.Helper()
	if err := group(st, name, n, nil); err != nil {
		t.Fatal(err)
	}
}

// state is everything the store holds, as text: every sale, cell,
// snapshot, refunded sum and the totals.
func state(t *testing.T, st *Store) string {
	t.Helper()
	if err := st.Flush(); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	var ids []uint64
	if err := st.ForEachSale(func(s *ingest.Sale) error {
		fmt.Fprintf(&b, "sale %+v\n", *s)
		ids = append(ids, s.ID)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var cells []string
	if err := st.Cells(func(c report.Cell) { cells = append(cells, fmt.Sprintf("cell %+v\n", c)) }); err != nil {
		t.Fatal(err)
	}
	sort.Strings(cells)
	b.WriteString(strings.Join(cells, ""))
	ss, ps, err := st.Snapshots()
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(ss, func(i, j int) bool { return ss[i].Name < ss[j].Name })
	for _, s := range ss {
		fmt.Fprintf(&b, "session %+v\n", *s)
	}
	for _, p := range ps {
		fmt.Fprintf(&b, "product %+v\n", *p)
	}
	if err := st.View(func(rtx ingest.ReadTx) error {
		tx := rtx.(*tx)
		sums, err := tx.Totals()
		fmt.Fprintf(&b, "totals %+v\n", sums)
		for _, id := range ids {
			q, a, err := tx.Refunded(id)
			if err != nil {
				return err
			}
			if q != 0 {
				fmt.Fprintf(&b, "refunded %d %d %d\n", id, q, a)
			}
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := st.Check(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// reference is the state of the same groups written with sales.db
// committed after each.
func reference(t *testing.T, groups ...int) string {
	t.Helper()
	st := openAt(t, filepath.Join(t.TempDir(), "sales.db"))
	for i, n := range groups {
		mustGroup(t, st, fmt.Sprintf("g%d", i+1), n)
		if err := st.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	return state(t, st)
}

func fileSeq(t *testing.T, path string) uint64 {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var seq uint64
	if err := db.View(func(btx *bolt.Tx) error {
		if v := btx.Bucket(bucketWAL).Get(appliedKey); v != nil {
			seq = binary.BigEndian.Uint64(v)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return seq
}

func TestAnsweredGroupsSurviveACrashBeforeSalesDBHoldsThem(t *testing.T) {
	path, st := logOnly(t)
	for i, n := range []int{5, 1, 9} {
		mustGroup(t, st, fmt.Sprintf("g%d", i+1), n)
	}
	crash(t, st)
	if seq := fileSeq(t, path); seq != 0 {
		t.Fatalf("sales.db holds entries up to %d before the replay; the test needs it to hold none", seq)
	}
	st = openAt(t, path)
	if n, sales := st.Replayed(); n != 3 || sales != 15 {
		t.Fatalf("replayed %d entries of %d sales, want 3 of 15", n, sales)
	}
	got := state(t, st)
	if want := reference(t, 5, 1, 9); got != want {
		t.Fatalf("after the replay:\n%s\nwant, as committed one group at a time:\n%s", got, want)
	}
}

func TestReplayResumesPastWhatSalesDBHolds(t *testing.T) {
	// sales.db holds the first groups but the log still has them too: a
	// crash in the middle of a replay, or between a commit and the log's
	// emptying, leaves this.
	path, st := logOnly(t)
	mustGroup(t, st, "g1", 4)
	mustGroup(t, st, "g2", 3)
	if err := st.Flush(); err != nil {
		t.Fatal(err)
	}
	mustGroup(t, st, "g3", 6)
	crash(t, st)
	if seq := fileSeq(t, path); seq != 2 {
		t.Fatalf("sales.db holds entries up to %d, want 2", seq)
	}
	// Replayed in steps of about two sales: every step commits.
	st = openAt(t, path, FlushSales(2), FlushEvery(time.Hour))
	mustGroup(t, st, "g4", 2)
	crash(t, st)
	got := state(t, openAt(t, path))
	if want := reference(t, 4, 3, 6, 2); got != want {
		t.Fatalf("after two replays:\n%s\nwant:\n%s", got, want)
	}
}

// lastSegment is the path of the log's newest segment file.
func lastSegment(t *testing.T, dbPath string) string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(boltdb.LogPath(dbPath), strings.Repeat("[0-9]", 20)))
	if err != nil || len(names) == 0 {
		t.Fatalf("no segment: %v", err)
	}
	sort.Strings(names)
	return names[len(names)-1]
}

func TestATornLastEntryIsDropped(t *testing.T) {
	for _, tc := range []struct {
		name string
		tear func(t *testing.T, seg string)
		// groups left of the three written
		left []int
	}{
		{"cut in the middle of the last entry", func(t *testing.T, seg string) {
			fi, err := os.Stat(seg)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Truncate(seg, fi.Size()-9); err != nil {
				t.Fatal(err)
			}
		}, []int{4, 2}},
		{"a length written, its data not", func(t *testing.T, seg string) {
			appendTo(t, seg, binary.AppendUvarint(nil, 5000), []byte("partial"))
		}, []int{4, 2, 7}},
		{"a whole frame of zeros (a power loss after the length grew)", func(t *testing.T, seg string) {
			appendTo(t, seg, binary.AppendUvarint(nil, 40), make([]byte, 40), []byte{0, 0, 0})
		}, []int{4, 2, 7}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path, st := logOnly(t)
			for i, n := range []int{4, 2, 7} {
				mustGroup(t, st, fmt.Sprintf("g%d", i+1), n)
			}
			crash(t, st)
			tc.tear(t, lastSegment(t, path))
			st = openAt(t, path, FlushEvery(time.Hour))
			// The log goes on after the dropped entry.
			mustGroup(t, st, fmt.Sprintf("g%d", len(tc.left)+1), 3)
			crash(t, st)
			got := state(t, openAt(t, path))
			if want := reference(t, append(tc.left, 3)...); got != want {
				t.Fatalf("after the tear and a replay:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func appendTo(t *testing.T, path string, parts ...[]byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range parts {
		if _, err := f.Write(p); err != nil {
			t.Fatal(err)
		}
	}
}

func TestAnEntryThatDoesNotReadBackBeforeGoodOnesIsCorruption(t *testing.T) {
	path, st := logOnly(t)
	mustGroup(t, st, "g1", 3)
	mustGroup(t, st, "g2", 3)
	crash(t, st)
	seg := lastSegment(t, path)
	data, err := os.ReadFile(seg)
	if err != nil {
		t.Fatal(err)
	}
	// Flip a byte inside the first entry's message.
	_, n := binary.Uvarint(data)
	data[n+10] ^= 0xff
	if err := os.WriteFile(seg, data, 0o600); err != nil {
		t.Fatal(err)
	}
	refused(t, path, "open with a damaged entry before a good one", func(err error) bool { return errors.Is(err, errCorrupt) })
}

// refused checks that Open of path fails with an error that is as want says.
func refused(t *testing.T, path, what string, want func(error) bool) {
	t.Helper()
	st, err := Open(path, boltdb.Options{})
	if err == nil {
		st.Close()
	}
	if err == nil || !want(err) {
		t.Fatalf("%s: %v, want it refused", what, err)
	}
}

func saying(s string) func(error) bool {
	return func(err error) bool { return strings.Contains(err.Error(), s) }
}

// snapshot writes a backup of st to name in the folder of path (st's own
// file) and returns the backup's path.
func snapshot(t *testing.T, st *Store, path, name string) string {
	t.Helper()
	f, err := os.Create(filepath.Join(filepath.Dir(path), name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := st.WriteSnapshot(f); err != nil {
		t.Fatal(err)
	}
	return f.Name()
}

func TestALogThatDoesNotFollowTheFileIsRefused(t *testing.T) {
	path, st := logOnly(t)
	mustGroup(t, st, "g1", 2)
	at1 := snapshot(t, st, path, "at1.db")
	mustGroup(t, st, "g2", 2)
	if err := st.Close(); err != nil { // sales.db holds g1, g2; the log is empty
		t.Fatal(err)
	}
	st = openAt(t, path, FlushEvery(time.Hour))
	mustGroup(t, st, "g3", 2)
	crash(t, st) // the log holds g3 only

	bolttest.Copy(t, at1, path)
	refused(t, path, "open of a backup behind the log's first entry", saying("older backup"))

	other := filepath.Join(t.TempDir(), "sales.db")
	o := openAt(t, other)
	mustGroup(t, o, "x", 1)
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	bolttest.Copy(t, other, path)
	refused(t, path, "open of another file beside this log", saying("another sales.db"))
}

func TestABackupTakenBeforeACrashRollsForwardWithTheLog(t *testing.T) {
	// A snapshot holds every answered group and the seq of the last: the
	// log's later entries are the same history, and replay on top of it.
	path, st := logOnly(t)
	mustGroup(t, st, "g1", 3)
	backup := snapshot(t, st, path, "backup.db")
	mustGroup(t, st, "g2", 5)
	crash(t, st)
	bolttest.Copy(t, backup, path)
	if got, want := state(t, openAt(t, path)), reference(t, 3, 5); got != want {
		t.Fatalf("the backup with the log:\n%s\nwant:\n%s", got, want)
	}
}

func TestReadersAndBackupsSeeAnsweredGroupsBeforeSalesDBHoldsThem(t *testing.T) {
	path, st := logOnly(t)
	mustGroup(t, st, "g1", 3)
	var raw int
	if err := st.db.View(func(btx *bolt.Tx) error { raw = btx.Bucket(bucketSaleBlocks).Stats().KeyN; return nil }); err != nil {
		t.Fatal(err)
	}
	if raw != 0 {
		t.Fatalf("sales.db holds %d sale blocks already; the test needs the group in the log only", raw)
	}
	err := st.View(func(tx ingest.ReadTx) error {
		for i := range 3 {
			s, err := tx.SaleByKey("DOUYIN", fmt.Sprintf("g1-%d", i))
			if err != nil || s == nil || s.ID != uint64(i+1) {
				return fmt.Errorf("g1-%d: %+v %v", i, s, err)
			}
			if byID, err := tx.SaleByID(s.ID); err != nil || !reflect.DeepEqual(byID, s) {
				return fmt.Errorf("sale %d by id: %+v %v, by key %+v", s.ID, byID, err, s)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	b := openAt(t, snapshot(t, st, path, "backup.db"))
	if got, want := state(t, b), reference(t, 3); got != want {
		t.Fatalf("the backup holds:\n%s\nwant:\n%s", got, want)
	}
}

func TestAFailedGroupLeavesTheAnsweredOnes(t *testing.T) {
	checkAFailedGroupLeavesTheAnsweredOnes(t, "group", func(st *Store, boom error) error { return group(st, "bad", 5, boom) })
}

// checkAFailedGroupLeavesTheAnsweredOnes: a group that fails (fail makes
// one of sales bad-0... fail with boom) leaves the groups answered before
// it readable and durable, shows none of its own sales, and the store
// takes groups after it.
func checkAFailedGroupLeavesTheAnsweredOnes(t *testing.T, what string, fail func(st *Store, boom error) error) {
	t.Helper()
	path, st := logOnly(t)
	mustGroup(t, st, "g1", 4)
	boom := errors.New("boom")
	if err := fail(st, boom); !errors.Is(err, boom) {
		t.Fatalf("the failing %s returned %v", what, err)
	}
	err := st.View(func(tx ingest.ReadTx) error {
		if s, err := tx.SaleByKey("DOUYIN", "g1-3"); err != nil || s == nil {
			return fmt.Errorf("an answered sale is gone after a failed %s: %v %v", what, s, err)
		}
		if s, err := tx.SaleByKey("DOUYIN", "bad-0"); err != nil || s != nil {
			return fmt.Errorf("a sale of the failed %s is visible: %v %v", what, s, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	mustGroup(t, st, "g2", 2)
	crash(t, st)
	if got, want := state(t, openAt(t, path)), reference(t, 4, 2); got != want {
		t.Fatalf("after a failed %s and a crash:\n%s\nwant:\n%s", what, got, want)
	}
}

func TestACleanCloseLeavesAnEmptyLog(t *testing.T) {
	path, st := logOnly(t)
	mustGroup(t, st, "g1", 4)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if seq := fileSeq(t, path); seq != 1 {
		t.Fatalf("sales.db holds entries up to %d after Close, want 1", seq)
	}
	w, err := openWAL(boltdb.LogPath(path), false)
	if err != nil {
		t.Fatal(err)
	}
	defer w.close()
	var n int
	if err := w.entries(func(uint64, *storev1.LogEntry, error) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("%d entries left in the log after Close", n)
	}
}

// TestGroupsReadersAndTheCommitsBehindThemRunTogether: group commits,
// readers of what was answered, the indexer, traffic snapshots and
// backups at once, with sales.db committing every millisecond or every
// few sales: every answered sale is found at once and after a crash.
func TestGroupsReadersAndTheCommitsBehindThemRunTogether(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sales.db")
	st := openAt(t, path, FlushEvery(time.Millisecond), FlushSales(7))
	var wg sync.WaitGroup
	var mu sync.Mutex
	var answered []string
	errs := make(chan error, 16)
	for w := range 3 {
		wg.Go(func() {
			for g := range 30 {
				name := fmt.Sprintf("w%d-%d", w, g)
				if err := group(st, name, 3, nil); err != nil {
					errs <- err
					return
				}
				if err := st.View(func(tx ingest.ReadTx) error {
					s, err := tx.SaleByKey("DOUYIN", name+"-2")
					if err == nil && s == nil {
						err = fmt.Errorf("%s-2 not found right after its group", name)
					}
					return err
				}); err != nil {
					errs <- err
					return
				}
				mu.Lock()
				answered = append(answered, name)
				mu.Unlock()
			}
		})
	}
	stop := make(chan struct{})
	var side sync.WaitGroup
	side.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if err := st.SyncIndexes(); err != nil {
				errs <- err
				return
			}
			if err := st.UpdateMetrics(func(ingest.MetricsTx) error { return nil }); err != nil {
				errs <- err
				return
			}
			if i%10 == 0 {
				f, err := os.CreateTemp(dir, "backup")
				if err == nil {
					_, err = st.WriteSnapshot(f)
					f.Close()
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}
	})
	wg.Wait()
	close(stop)
	side.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	crash(t, st)
	st = openAt(t, path)
	var n int
	if err := st.ForEachSale(func(*ingest.Sale) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	if n != 3*30*3 {
		t.Fatalf("%d sales after the crash, want %d", n, 3*30*3)
	}
	if err := st.View(func(tx ingest.ReadTx) error {
		for _, name := range answered {
			for i := range 3 {
				if s, err := tx.SaleByKey("DOUYIN", fmt.Sprintf("%s-%d", name, i)); err != nil || s == nil {
					return fmt.Errorf("%s-%d: %v %v", name, i, s, err)
				}
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := st.Check(); err != nil {
		t.Fatal(err)
	}
}

func TestALargeGroupCommitsSalesDBBetweenLoggedOnes(t *testing.T) {
	checkALargeGroupCommitsSalesDBBetweenLoggedOnes(t, "large", func(st *Store) error { return group(st, "g2", directSales, nil) })
}

// checkALargeGroupCommitsSalesDBBetweenLoggedOnes: a group of an import's
// size (write, of directSales sales g2-...) between two logged groups
// commits sales.db itself, with the logged group before it, and a crash
// after the third loses none of the three.
func checkALargeGroupCommitsSalesDBBetweenLoggedOnes(t *testing.T, what string, write func(st *Store) error) {
	t.Helper()
	path, st := logOnly(t)
	mustGroup(t, st, "g1", 3)
	if err := write(st); err != nil {
		t.Fatal(err)
	}
	if seq := fileSeq2(t, st); seq != 1 {
		t.Fatalf("after the %s group sales.db holds entries up to %d, want 1 (g1's, committed with it)", what, seq)
	}
	mustGroup(t, st, "g3", 4)
	crash(t, st)
	if got, want := state(t, openAt(t, path)), reference(t, 3, directSales, 4); got != want {
		t.Fatalf("logged, %s and logged groups after a crash:\n%s\nwant:\n%s", what, got, want)
	}
}

// fileSeq2 is the seq sales.db holds, read beside the open store.
func fileSeq2(t *testing.T, st *Store) uint64 {
	t.Helper()
	var seq uint64
	btx, err := st.db.Begin(false)
	if err != nil {
		t.Fatal(err)
	}
	defer btx.Rollback()
	if v := btx.Bucket(bucketWAL).Get(appliedKey); v != nil {
		seq = binary.BigEndian.Uint64(v)
	}
	if btx.Bucket(bucketSaleBlocks).Stats().KeyN == 0 {
		t.Fatal("no sale in sales.db")
	}
	return seq
}

// TestKeepNamesEachArgumentByItsIndexInItsKind: the log entry finds an
// op's argument by the op's index, each kind counting on its own.
func TestKeepNamesEachArgumentByItsIndexInItsKind(t *testing.T) {
	for _, c := range []struct {
		name    string
		calls   func(l *loggingTx) []int
		ops     []loggedOp
		refunds []refundArgs
		sums    []report.Sums
	}{
		{"no ops", func(*loggingTx) []int { return nil }, nil, nil, nil},
		{"one of a kind is index 0",
			func(l *loggingTx) []int { return []int{keep(l, opSetRefunded, &l.refunds, refundArgs{order: 9})} },
			[]loggedOp{{opSetRefunded, 0}}, []refundArgs{{order: 9}}, nil},
		{"kinds interleaved count apart, in call order",
			func(l *loggingTx) []int {
				return []int{
					keep(l, opSetTotals, &l.sums, report.Sums{Orders: 1}),
					keep(l, opSetRefunded, &l.refunds, refundArgs{order: 1}),
					keep(l, opSetTotals, &l.sums, report.Sums{Orders: 2}),
					keep(l, opSetRefunded, &l.refunds, refundArgs{order: 2}),
				}
			},
			[]loggedOp{{opSetTotals, 0}, {opSetRefunded, 0}, {opSetTotals, 1}, {opSetRefunded, 1}},
			[]refundArgs{{order: 1}, {order: 2}}, []report.Sums{{Orders: 1}, {Orders: 2}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			l := &loggingTx{}
			got := c.calls(l)
			var want []int
			for _, o := range c.ops {
				want = append(want, o.i)
			}
			if !slices.Equal(got, want) {
				t.Errorf("keep returned %v, want %v", got, want)
			}
			if !slices.Equal(l.ops, c.ops) || !slices.Equal(l.refunds, c.refunds) || !slices.Equal(l.sums, c.sums) {
				t.Errorf("ops %v refunds %v sums %v; want %v %v %v", l.ops, l.refunds, l.sums, c.ops, c.refunds, c.sums)
			}
		})
	}
}

// The library names a new segment file when an append fills the tail one
// (before or after the entry, and both for an entry larger than a
// segment); the name must be synced before the entry is answered, or a
// power loss could forget a synced segment. The log looks for new names
// only when an append can have made one, so this walks entries of every
// size across many small segments, an emptied log and a dropped tail.
func TestEveryNewSegmentNameIsSyncedBeforeTheAppendReturns(t *testing.T) {
	const segSize = 300
	dir := filepath.Join(t.TempDir(), "sales.wal")
	w, err := openWALSized(dir, true, segSize)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.close() })
	segments := func() map[string]bool {
		names, err := filepath.Glob(filepath.Join(dir, strings.Repeat("[0-9]", 20)))
		if err != nil {
			t.Fatal(err)
		}
		set := map[string]bool{}
		for _, n := range names {
			set[filepath.Base(n)] = true
		}
		return set
	}
	synced, syncs := segments(), w.dirSyncs
	check := func(step string) {
		t.Helper()
		now := segments()
		if w.dirSyncs != syncs {
			synced, syncs = now, w.dirSyncs
		}
		for n := range now {
			if !synced[n] {
				t.Fatalf("%s: segment %s appeared and the directory was not synced since", step, n)
			}
		}
	}
	seq, made := uint64(0), 0
	appendN := func(n int) {
		for i := range n {
			seq++
			// 10 to 700 bytes: most entries fit a segment, some fill one
			// alone, a few are larger than a segment.
			size := 10 + (i*97)%690
			if err := w.append(&storev1.LogEntry{LogId: make([]byte, size), Seq: seq}); err != nil {
				t.Fatal(err)
			}
			check(fmt.Sprintf("entry %d (%d bytes)", seq, size))
		}
	}
	appendN(120)
	made += len(segments())
	if err := w.empty(true); err != nil {
		t.Fatal(err)
	}
	check("emptied")
	appendN(60)
	first, last, err := w.bounds()
	if err != nil {
		t.Fatal(err)
	}
	// Drop the entries of the last few segments: the tail is an older,
	// fuller one.
	if err := w.dropFrom(last - 5); err != nil {
		t.Fatal(err)
	}
	check("dropped")
	appendN(60)
	made += len(segments())
	if made < 20 {
		t.Fatalf("only %d segments made: the walk did not cross segments (first %d, last %d)", made, first, last)
	}
}

package backup_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	adminv1 "github.com/cqlive/alliance/gen/pb/alliance/admin/v1"
	"github.com/cqlive/alliance/services/kit/backup"
	"github.com/cqlive/alliance/services/kit/boltdb"
	"github.com/cqlive/alliance/services/kit/fault"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"github.com/cqlive/alliance/services/kit/testkit"
	bolt "go.etcd.io/bbolt"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

var items = []byte("items")

func schema(version int) boltdb.Schema {
	return boltdb.Schema{Version: version, Buckets: [][]byte{items}}
}

type store = boltdb.Store[*bolt.Tx]

func openStore(t testing.TB, path string, version int) *store {
	t.Helper()
	st, err := boltdb.OpenStore(path, schema(version), boltdb.Options{}, func(tx *bolt.Tx) *bolt.Tx { return tx })
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func put(st *store, n uint64) error {
	return st.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(items).Put(binary.BigEndian.AppendUint64(nil, n), bytes.Repeat([]byte{7}, 200))
	})
}

// serve runs one service's backup server over st on loopback.
func serve(t testing.TB, service, file string, src backup.Source, hooks ...backup.Hook) adminv1.MaintenanceClient {
	t.Helper()
	srv := grpcx.NewServer(grpcx.ServerOptions{Name: "test", Logger: testkit.Quiet})
	adminv1.RegisterMaintenanceServer(srv.GRPC, backup.NewServer(service, file, src, hooks...))
	return adminv1.NewMaintenanceClient(testkit.Dial(t, testkit.Serve(t, srv)))
}

// suite is two services, each with its store, written to all along.
type suite struct {
	dir     string
	stores  map[string]*store
	targets []backup.Target
	acked   map[string]*atomic.Uint64
	stop    func()
}

func newSuite(t *testing.T) *suite {
	t.Helper()
	s := &suite{dir: t.TempDir(), stores: map[string]*store{}, acked: map[string]*atomic.Uint64{}}
	for _, svc := range []struct{ name, file string }{{"sales-reporting", "sales.db"}, {"member-registry", "member.db"}} {
		st := openStore(t, filepath.Join(s.dir, "live", svc.name, svc.file), 2)
		t.Cleanup(func() { st.Close() })
		s.stores[svc.name] = st
		s.acked[svc.name] = new(atomic.Uint64)
		s.targets = append(s.targets, backup.Target{Service: svc.name, Client: serve(t, svc.name, svc.file, st)})
	}
	quit := make(chan struct{})
	var wg sync.WaitGroup
	for name, st := range s.stores {
		for w := range 3 {
			wg.Go(func() {
				for n := uint64(w); ; n += 3 {
					select {
					case <-quit:
						return
					default:
					}
					if err := put(st, n); err != nil {
						t.Error(err)
						return
					}
					for { // the highest item whose write returned
						a := s.acked[name].Load()
						if a >= n || s.acked[name].CompareAndSwap(a, n) {
							break
						}
					}
				}
			})
		}
	}
	var once sync.Once
	s.stop = func() { once.Do(func() { close(quit); wg.Wait() }) }
	t.Cleanup(s.stop)
	time.Sleep(50 * time.Millisecond)
	return s
}

// take takes a backup of the suite into its folder "backups".
func (s *suite) take(t *testing.T) (string, *backup.Manifest) {
	t.Helper()
	dir, m, err := backup.Take(context.Background(), filepath.Join(s.dir, "backups"), s.targets)
	if err != nil {
		t.Fatal(err)
	}
	return dir, m
}

func has(t *testing.T, path string, n uint64) bool {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	found := false
	_ = db.View(func(tx *bolt.Tx) error {
		found = tx.Bucket(items).Get(binary.BigEndian.AppendUint64(nil, n)) != nil
		return nil
	})
	return found
}

// TestABackupUnderWritesVerifiesAndRestores: a backup taken while the
// stores are written holds every write acknowledged before it began,
// verifies clean, and restores into a fresh data folder as the services
// lay it out, byte for byte.
func TestABackupUnderWritesVerifiesAndRestores(t *testing.T) {
	s := newSuite(t)
	before := map[string]uint64{}
	for name, a := range s.acked {
		before[name] = a.Load()
	}
	dir, m := s.take(t)
	if filepath.Dir(dir) != filepath.Join(s.dir, "backups") || !strings.HasPrefix(filepath.Base(dir), time.Now().UTC().Format("20060102T")) {
		t.Errorf("backup folder %s: want a new one named after the UTC time, in the -out folder", dir)
	}
	if len(m.Files) != 2 || m.Files[0].Service != "sales-reporting" || m.Files[0].Name != "sales.db" || m.Files[0].SchemaVersion != 2 ||
		m.Files[0].BucketKeys["items"] == 0 || m.Files[0].ServerVersion == "" || m.Files[0].TxID == 0 {
		t.Fatalf("manifest %+v", m)
	}
	for _, f := range m.Files {
		if !has(t, filepath.Join(dir, f.Name), before[f.Service]) {
			t.Errorf("%s: item %d was acknowledged before the backup began and is not in it", f.Service, before[f.Service])
		}
	}
	if _, problems := backup.Verify(dir); len(problems) > 0 {
		t.Fatalf("verify: %v", problems)
	}
	fresh := filepath.Join(s.dir, "fresh")
	written, err := backup.Restore(dir, fresh, knownAt(2, 2))
	if err != nil {
		t.Fatal(err)
	}
	if len(written.Files) != 2 || len(written.LogsAside) != 0 {
		t.Fatalf("restored %+v", written)
	}
	for _, f := range m.Files {
		a, _ := os.ReadFile(filepath.Join(dir, f.Name))
		b, err := os.ReadFile(filepath.Join(fresh, f.Service, f.Name))
		if err != nil || !bytes.Equal(a, b) {
			t.Errorf("%s: restored copy differs from the backup (%v)", f.Service, err)
		}
	}
	// A service opens what was restored, at its schema, and writes on.
	st := openStore(t, filepath.Join(fresh, "sales-reporting", "sales.db"), 2)
	defer st.Close()
	if err := put(st, 1<<40); err != nil {
		t.Fatal(err)
	}
}

// TestVerifyCatchesAnAlteredBackup: one byte changed in a file, or a count
// changed in the manifest, and the backup no longer verifies; a file of
// another backup passed off as this one's neither.
func TestVerifyCatchesAnAlteredBackup(t *testing.T) {
	s := newSuite(t)
	s.stop()
	dir, m := s.take(t)
	cp := func(t *testing.T) string {
		t.Helper()
		out := t.TempDir()
		for _, n := range []string{"sales.db", "member.db", backup.ManifestFile} {
			b, err := os.ReadFile(filepath.Join(dir, n))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(out, n), b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		return out
	}
	cases := []struct {
		name  string
		alter func(t *testing.T, d string)
		want  string
	}{
		{"one byte of a page changed", func(t *testing.T, d string) {
			f, err := os.OpenFile(filepath.Join(d, "sales.db"), os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			b := make([]byte, 1)
			f.ReadAt(b, 3*4096+100)
			b[0] ^= 0xff
			f.WriteAt(b, 3*4096+100)
		}, "altered or damaged"},
		{"a file cut short", func(t *testing.T, d string) {
			os.Truncate(filepath.Join(d, "member.db"), 4096)
		}, "altered or damaged"},
		{"a file missing", func(t *testing.T, d string) {
			os.Remove(filepath.Join(d, "member.db"))
		}, "no such file"},
		{"a count in the manifest changed", func(t *testing.T, d string) {
			edit(t, d, func(m *backup.Manifest) { m.Files[1].BucketKeys["items"]++ })
		}, "bucket items has"},
		{"the schema in the manifest changed", func(t *testing.T, d string) {
			edit(t, d, func(m *backup.Manifest) { m.Files[0].SchemaVersion = 1 })
		}, "schema version 2; the manifest says 1"},
		{"another store's file under this one's name", func(t *testing.T, d string) {
			b, _ := os.ReadFile(filepath.Join(d, "member.db"))
			os.WriteFile(filepath.Join(d, "sales.db"), b, 0o600)
		}, "altered or damaged"},
	}
	if _, problems := backup.Verify(cp(t)); len(problems) > 0 {
		t.Fatalf("an unaltered copy: %v", problems)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := cp(t)
			c.alter(t, d)
			_, problems := backup.Verify(d)
			if len(problems) == 0 || !strings.Contains(errors.Join(problems...).Error(), c.want) {
				t.Fatalf("verify: %v; want a problem saying %q", problems, c.want)
			}
			if _, err := backup.Restore(d, t.TempDir(), knownAt(9, 9)); err == nil {
				t.Fatal("restore wrote a backup that does not verify")
			}
		})
	}
	if len(m.Files) != 2 {
		t.Fatalf("manifest %+v", m)
	}
}

func edit(t *testing.T, dir string, f func(*backup.Manifest)) {
	t.Helper()
	m, err := backup.ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	f(m)
	b, _ := json.Marshal(m)
	if err := os.WriteFile(filepath.Join(dir, backup.ManifestFile), b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestRestoreRefuses what it must not overwrite, or cannot vouch for,
// before it writes anything.
func TestRestoreRefuses(t *testing.T) {
	s := newSuite(t)
	s.stop()
	dir, _ := s.take(t)
	known := knownAt(2, 2)

	t.Run("a data folder a running service holds", func(t *testing.T) {
		// The live folder: its stores are open, as a running service's are.
		live := filepath.Join(s.dir, "live")
		salesBefore, _ := os.ReadFile(filepath.Join(live, "sales-reporting", "sales.db"))
		_, err := backup.Restore(dir, live, known)
		if !errors.Is(err, backup.ErrHeld) {
			t.Fatalf("restore over open stores: %v", err)
		}
		after, _ := os.ReadFile(filepath.Join(live, "sales-reporting", "sales.db"))
		if !bytes.Equal(salesBefore, after) {
			t.Fatal("a refused restore changed a file")
		}
	})
	t.Run("a file of a newer schema than the binary knows", func(t *testing.T) {
		target := t.TempDir()
		_, err := backup.Restore(dir, target, knownAt(1, 2))
		if err == nil || !strings.Contains(err.Error(), "newer than the 1") {
			t.Fatalf("restore of schema 2 by a binary of schema 1: %v", err)
		}
		if entries, _ := os.ReadDir(target); len(entries) > 0 {
			t.Fatalf("a refused restore wrote %v", entries)
		}
	})
	t.Run("a service the binary does not know", func(t *testing.T) {
		if _, err := backup.Restore(dir, t.TempDir(), map[string]backup.Known{"sales-reporting": {File: "sales.db", Schema: 2}}); err == nil {
			t.Fatal("restored a file of an unknown service")
		}
	})
	t.Run("a file filed under another service", func(t *testing.T) {
		// As a backup with the addresses the wrong way round was, before
		// Take checked them: each file under the other service's name.
		swapped := filepath.Join(t.TempDir(), "swapped")
		if err := os.CopyFS(swapped, os.DirFS(dir)); err != nil {
			t.Fatal(err)
		}
		edit(t, swapped, func(m *backup.Manifest) {
			m.Files[0].Service, m.Files[1].Service = m.Files[1].Service, m.Files[0].Service
		})
		twice := filepath.Join(t.TempDir(), "twice")
		if err := os.CopyFS(twice, os.DirFS(dir)); err != nil {
			t.Fatal(err)
		}
		edit(t, twice, func(m *backup.Manifest) { m.Files = append(m.Files, m.Files[0]) })
		for _, c := range []struct{ dir, want string }{{swapped, "its file is"}, {twice, "twice"}} {
			target := t.TempDir()
			if _, err := backup.Restore(c.dir, target, known); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("restore of %s: %v; want %q", filepath.Base(c.dir), err, c.want)
			}
			if entries, _ := os.ReadDir(target); len(entries) > 0 {
				t.Errorf("a refused restore of %s wrote %v", filepath.Base(c.dir), entries)
			}
		}
	})
	t.Run("a service that starts while the files are copied", func(t *testing.T) {
		// It must not end up serving the old file that the restore then
		// unlinks (its writes would be lost): either the restore refuses,
		// or the service reads the restored file.
		target := t.TempDir()
		path := filepath.Join(target, "sales-reporting", "sales.db")
		old := openStore(t, path, 2)
		put(old, 1<<50)
		old.Close()
		opened := make(chan *bolt.DB, 1)
		defer backup.SetAfterCopy(func() {
			go func() {
				db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
				if err != nil {
					t.Error(err)
				}
				opened <- db
			}()
			time.Sleep(300 * time.Millisecond) // the service is up, or waiting for the lock
		})()
		_, err := backup.Restore(dir, target, known)
		db := <-opened
		if db == nil {
			return
		}
		defer db.Close()
		var stale bool
		_ = db.View(func(tx *bolt.Tx) error {
			stale = tx.Bucket(items).Get(binary.BigEndian.AppendUint64(nil, 1<<50)) != nil
			return nil
		})
		switch {
		case err == nil && stale:
			t.Fatal("the restore succeeded and the service that started meanwhile serves the old, unlinked file")
		case err != nil && !errors.Is(err, backup.ErrHeld):
			t.Fatalf("restore: %v", err)
		}
	})
	// stopped is the data folder of a stopped suite whose sales.db holds
	// item 1<<50, which the backup does not.
	stopped := func(t *testing.T) string {
		target := t.TempDir()
		old := openStore(t, filepath.Join(target, "sales-reporting", "sales.db"), 2)
		put(old, 1<<50)
		old.Close()
		return target
	}
	t.Run("a stopped service's folder is replaced whole", func(t *testing.T) {
		target := stopped(t)
		if _, err := backup.Restore(dir, target, known); err != nil {
			t.Fatal(err)
		}
		if has(t, filepath.Join(target, "sales-reporting", "sales.db"), 1<<50) {
			t.Fatal("the old file is still there")
		}
		left, _ := filepath.Glob(filepath.Join(target, "*", ".*restore*"))
		if len(left) > 0 {
			t.Fatalf("left behind: %v", left)
		}
	})
	t.Run("the replaced file's write-ahead log is moved aside, not deleted", func(t *testing.T) {
		target := stopped(t)
		log := filepath.Join(target, "sales-reporting", "sales.wal")
		if err := os.MkdirAll(log, 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(log, "00000000000000000001"), []byte("entries of the old file"), 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := backup.Restore(dir, target, known)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(log); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("the old log is still beside the restored file (%v)", err)
		}
		if len(got.LogsAside) != 1 || !strings.HasPrefix(got.LogsAside[0], log+".replaced-") {
			t.Fatalf("logs moved aside: %v", got.LogsAside)
		}
		if b, err := os.ReadFile(filepath.Join(got.LogsAside[0], "00000000000000000001")); err != nil || string(b) != "entries of the old file" {
			t.Fatalf("the moved log lost its entries: %q %v", b, err)
		}
	})
	t.Run("the replaced file's image is deleted", func(t *testing.T) {
		target := stopped(t)
		img := filepath.Join(target, "sales-reporting", "sales.image")
		if err := os.WriteFile(img, []byte("the engine of the old file"), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := backup.Restore(dir, target, known); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(img); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("the old file's image is still beside the restored file (%v)", err)
		}
	})
}

// TestTheHookRunsBeforeTheSnapshot: what a hook writes into the file (a
// write-ahead log flushed) is in the backup; a hook that fails refuses
// the backup with its error, and nothing that looks like a backup is left.
func TestTheHookRunsBeforeTheSnapshot(t *testing.T) {
	dir := t.TempDir()
	st := openStore(t, filepath.Join(dir, "x.db"), 1)
	defer st.Close()
	flushed := serve(t, "x", "x.db", st, func(ctx context.Context) error { return put(st, 99) })
	out := filepath.Join(dir, "backups")
	path, _, err := backup.Take(context.Background(), out, []backup.Target{{Service: "x", Client: flushed}})
	if err != nil {
		t.Fatal(err)
	}
	if !has(t, filepath.Join(path, "x.db"), 99) {
		t.Fatal("the hook's write is not in the backup")
	}
	failing := serve(t, "x", "x.db", st, func(ctx context.Context) error {
		return fault.New(fault.Unavailable, fault.ReasonDependencyUnavailable, "the log cannot be flushed")
	})
	_, _, err = backup.Take(context.Background(), out, []backup.Target{{Service: "x", Client: failing}})
	if status.Code(err) != codes.Unavailable || !strings.Contains(err.Error(), "the log cannot be flushed") {
		t.Fatalf("a failing hook: %v", err)
	}
	entries, _ := os.ReadDir(out)
	if len(entries) != 1 {
		t.Fatalf("after a failed backup the folder holds %v; want the one good backup", entries)
	}
}

// brokenSource writes half a file, then fails: a disk error mid-snapshot.
type brokenSource struct{}

func (brokenSource) WriteSnapshot(w io.Writer) (boltdb.Snapshot, error) {
	if _, err := w.Write(make([]byte, backup.ChunkSize+10)); err != nil {
		return boltdb.Snapshot{}, err
	}
	return boltdb.Snapshot{}, errors.New("read error on page 7")
}

// TestAFailedSnapshotLeavesNoBackup: the stream fails, Take fails, and no
// folder under -out looks like a backup.
func TestAFailedSnapshotLeavesNoBackup(t *testing.T) {
	out := t.TempDir()
	_, _, err := backup.Take(context.Background(), out, []backup.Target{{Service: "x", Client: serve(t, "x", "x.db", brokenSource{})}})
	if status.Code(err) != codes.Internal {
		t.Fatalf("a failed snapshot: %v", err)
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		t.Fatalf("left %v", entries)
	}
}

// TestAClientThatStopsReadingDoesNotStallWrites: the snapshot's read
// transaction lasts as long as its stream, and a write that must grow the
// file's memory map waits for every read transaction; so a backup whose
// client stops taking chunks is ended (DEADLINE_EXCEEDED) after the send
// timeout, and the write goes through while that client is still
// connected.
func TestAClientThatStopsReadingDoesNotStallWrites(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "sales.db"), 2)
	defer st.Close()
	fill := func(from, n uint64, size int) error {
		return st.DB.Update(func(tx *bolt.Tx) error {
			val := bytes.Repeat([]byte{7}, size)
			for i := from; i < from+n; i++ {
				if err := tx.Bucket(items).Put(binary.BigEndian.AppendUint64(nil, i), val); err != nil {
					return err
				}
			}
			return nil
		})
	}
	// Larger than any flow-control window gRPC grows to (16 MiB).
	if err := fill(0, 12_000, 4096); err != nil {
		t.Fatal(err)
	}
	srv := grpcx.NewServer(grpcx.ServerOptions{Name: "test", Logger: testkit.Quiet})
	bs := backup.NewServer("sales-reporting", "sales.db", st)
	bs.SendTimeout = 300 * time.Millisecond
	adminv1.RegisterMaintenanceServer(srv.GRPC, bs)
	client := adminv1.NewMaintenanceClient(testkit.Dial(t, testkit.Serve(t, srv)))

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stream, err := client.Backup(ctx, &adminv1.BackupRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err != nil { // the snapshot has begun; then the client reads no more
		t.Fatal(err)
	}
	// A write of twice the file's size: it must grow the memory map.
	wrote := make(chan error, 1)
	go func() { wrote <- fill(1<<40, 24_000, 4096) }()
	select {
	case err := <-wrote:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(60 * time.Second): // without the timeout, never: the client stays connected
		t.Fatal("a write that grows the file waited on a backup whose client stopped reading")
	}
	var last error
	for last == nil {
		_, last = stream.Recv()
	}
	if status.Code(last) != codes.DeadlineExceeded {
		t.Fatalf("the stalled backup ended with %v", last)
	}
}

// TestABackupOfTheWrongServiceIsRefused: the services' addresses given the
// wrong way round (-sales-reporting-addr naming the registry) made a
// backup that verified and restored, each file into the other service's
// folder under the wrong name, leaving both services' files as they were.
// Take refuses a snapshot whose service is not the one it asked.
func TestABackupOfTheWrongServiceIsRefused(t *testing.T) {
	s := newSuite(t)
	s.stop()
	swapped := []backup.Target{
		{Service: s.targets[0].Service, Client: s.targets[1].Client},
		{Service: s.targets[1].Service, Client: s.targets[0].Client},
	}
	out := filepath.Join(s.dir, "backups")
	_, _, err := backup.Take(context.Background(), out, swapped)
	if err == nil || !strings.Contains(err.Error(), "member-registry") || !strings.Contains(err.Error(), "sales-reporting") {
		t.Fatalf("a backup of the registry taken as sales-reporting's: %v", err)
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		t.Fatalf("left %v", entries)
	}
}

// knownAt is what a restore knows of the test's two services, at the
// given schema versions.
func knownAt(sales, member int) map[string]backup.Known {
	return map[string]backup.Known{
		"sales-reporting": {File: "sales.db", Schema: sales},
		"member-registry": {File: "member.db", Schema: member},
	}
}

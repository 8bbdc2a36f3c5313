package store

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cqlive/alliance/services/kit/boltdb"
	"github.com/cqlive/alliance/services/kit/boltdb/bolttest"
	"github.com/cqlive/alliance/services/sales-reporting/internal/ingest"
	"github.com/cqlive/alliance/services/sales-reporting/internal/report"
	bolt "go.etcd.io/bbolt"
)

// fullLoad builds the engine from sales.db as start-up's full load does.
func fullLoad(t *testing.T, st *Store) *report.Engine {
	t.Helper()
	e := report.New(time.UTC)
	if err := st.Cells(e.Load); err != nil {
		t.Fatal(err)
	}
	if err := st.ForEachLatestMetrics(func(m *ingest.SessionMetrics) error {
		e.ApplyTraffic([]report.Traffic{ingest.TrafficOf(m, time.UTC)})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	e.Compact()
	return e
}

// imageBytes is e's image, to compare two engines whole.
func imageBytes(t *testing.T, e *report.Engine) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := e.WriteImage(&b, []byte("compare")); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// closeWithImage closes st as the service does, its engine (built by the
// full load and given the groups applied since) written to the image. It
// returns why no image was written, nil if one was.
func closeWithImage(t *testing.T, st *Store, e *report.Engine) error {
	t.Helper()
	var why error
	called := false
	st.WriteImageOnClose(e.WriteImage, func(_ string, err error) { why, called = err, true })
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if !called {
		t.Fatal("Close did not say whether it wrote the image")
	}
	return why
}

// readImage is what start-up does with the image of the file at path.
func readImage(t *testing.T, path string) (*report.Engine, error) {
	t.Helper()
	st := openAt(t, path)
	var e *report.Engine
	err := st.ReadImage(func(r io.ReaderAt, size int64, stamp []byte) error {
		var err error
		e, err = report.ReadImage(r, size, time.UTC, stamp)
		return err
	})
	return e, err
}

// writeFile closes a store at path with groups g1..gn and its image.
func writeFile(t *testing.T, path string, groups ...int) *report.Engine {
	t.Helper()
	st := openAt(t, path)
	for i, n := range groups {
		mustGroup(t, st, "g"+string(rune('1'+i)), n)
	}
	e := fullLoad(t, st)
	if err := closeWithImage(t, st, e); err != nil {
		t.Fatal(err)
	}
	return e
}

// reopenKeepingImage writes sales.db in dir with the image of its clean
// stop, keeps a copy of the image aside and opens the file again, which
// deletes the image; putBack puts the copy in its place, as if it had
// never been deleted.
func reopenKeepingImage(t *testing.T, dir string) (st *Store, putBack func()) {
	t.Helper()
	path, image := filepath.Join(dir, "sales.db"), filepath.Join(dir, "sales.image")
	writeFile(t, path, 4)
	keep := filepath.Join(t.TempDir(), "image")
	bolttest.Copy(t, image, keep)
	return openAt(t, path), func() { bolttest.Copy(t, keep, image) }
}

// A clean Close leaves an image that the next Open reads, equal to the
// engine of the full load of the same file; reading it (or failing to)
// deletes it, since the file's Open took the token that tied them.
func TestTheImageOfACleanCloseIsTheFullLoadOfTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sales.db")
	writeFile(t, path, 5, 7)
	if info, err := os.Stat(filepath.Join(filepath.Dir(path), "sales.image")); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("the image: %v, %v; want it readable by its owner alone, as sales.db", info, err)
	}
	// What a stop that crashed while writing would have left.
	leftover := filepath.Join(filepath.Dir(path), "sales.image.tmp")
	if err := os.WriteFile(leftover, []byte("half an image"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := readImage(t, path)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"sales.image", "sales.image.tmp"} {
		if _, err := os.Stat(filepath.Join(filepath.Dir(path), name)); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%s is still there after start-up read the image: %v", name, err)
		}
	}
	other := filepath.Join(t.TempDir(), "sales.db")
	bolttest.Copy(t, path, other)
	if !bytes.Equal(imageBytes(t, got), imageBytes(t, fullLoad(t, openAt(t, other)))) {
		t.Fatal("the engine read from the image is not the engine the full load builds")
	}
}

// The image is read only when it covers sales.db exactly as the Close
// that wrote it left the file; every other case falls back to the full
// load, with the reason.
func TestAnImageThatDoesNotCoverTheFileIsNotRead(t *testing.T) {
	for _, c := range []struct {
		name string
		// make leaves sales.db and an image in dir.
		make func(t *testing.T, dir string)
		want error
	}{
		{"more writes after the image, then a crash", func(t *testing.T, dir string) {
			st, putBack := reopenKeepingImage(t, dir)
			mustGroup(t, st, "late", 3)
			if err := st.Flush(); err != nil {
				t.Fatal(err)
			}
			crash(t, st)
			putBack()
		}, ErrNoImage},
		{"more writes after the image, then a clean stop without one", func(t *testing.T, dir string) {
			st, putBack := reopenKeepingImage(t, dir)
			mustGroup(t, st, "late", 3)
			if err := st.Close(); err != nil {
				t.Fatal(err)
			}
			putBack()
		}, ErrNoImage},
		{"the image of an earlier clean stop of the file", func(t *testing.T, dir string) {
			st, putBack := reopenKeepingImage(t, dir)
			mustGroup(t, st, "late", 3)
			if err := closeWithImage(t, st, fullLoad(t, st)); err != nil {
				t.Fatal(err)
			}
			putBack()
		}, report.ErrImageStale},
		{"the image of another file", func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, "sales.db"), 4)
			elsewhere := t.TempDir()
			writeFile(t, filepath.Join(elsewhere, "sales.db"), 4)
			bolttest.Copy(t, filepath.Join(elsewhere, "sales.image"), filepath.Join(dir, "sales.image"))
		}, report.ErrImageStale},
		{"a backup restored over the file", func(t *testing.T, dir string) {
			path := filepath.Join(dir, "sales.db")
			st := openAt(t, path)
			mustGroup(t, st, "g1", 4)
			var backup bytes.Buffer
			if _, err := st.WriteSnapshot(&backup); err != nil {
				t.Fatal(err)
			}
			mustGroup(t, st, "g2", 4)
			if err := closeWithImage(t, st, fullLoad(t, st)); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, backup.Bytes(), 0o600); err != nil {
				t.Fatal(err)
			}
		}, ErrNoImage},
		{"another binary (one that knows no token) wrote to the file in between", func(t *testing.T, dir string) {
			path := filepath.Join(dir, "sales.db")
			writeFile(t, path, 4)
			db, err := boltdb.Open(path, Schema, boltdb.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if err := db.Update(func(btx *bolt.Tx) error { return btx.Bucket(bucketTotals).Put(totalsKey, []byte{}) }); err != nil {
				t.Fatal(err)
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
		}, ErrNoImage},
		{"changed bytes", func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, "sales.db"), 4)
			alter(t, filepath.Join(dir, "sales.image"), func(b []byte) []byte { b[len(b)/2] ^= 0x10; return b })
		}, report.ErrImageCorrupt},
		{"cut short", func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, "sales.db"), 4)
			alter(t, filepath.Join(dir, "sales.image"), func(b []byte) []byte { return b[:len(b)-9] })
		}, report.ErrImageCorrupt},
		{"empty", func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, "sales.db"), 4)
			alter(t, filepath.Join(dir, "sales.image"), func(b []byte) []byte { return nil })
		}, report.ErrImageCorrupt},
		{"an image of another version", func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, "sales.db"), 4)
			alter(t, filepath.Join(dir, "sales.image"), func(b []byte) []byte {
				i := bytes.IndexByte(b, '\n') + 1
				b[i]++ // the version, little-endian, after the magic line
				return b
			})
		}, report.ErrImageVersion},
		{"missing", func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, "sales.db"), 4)
			if err := os.Remove(filepath.Join(dir, "sales.image")); err != nil {
				t.Fatal(err)
			}
		}, ErrNoImage},
		{"a session's attribution stored again with another host", func(t *testing.T, dir string) {
			st, putBack := reopenKeepingImage(t, dir)
			e := fullLoad(t, st)
			if err := st.Update(func(tx ingest.Tx) error {
				return tx.PutSession(&ingest.Session{Name: "sessions/g1", State: ingest.Ended, Platform: "DOUYIN", Attr: ingest.SessionAttr{Host: "members/other"}})
			}); err != nil {
				t.Fatal(err)
			}
			if err := closeWithImage(t, st, e); err == nil {
				t.Fatal("Close wrote an image of an engine that a full load would attribute otherwise")
			}
			putBack()
		}, ErrNoImage},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			c.make(t, dir)
			e, err := readImage(t, filepath.Join(dir, "sales.db"))
			if !errors.Is(err, c.want) || e != nil {
				t.Fatalf("ReadImage: %v (an engine: %v), want %v", err, e != nil, c.want)
			}
			if _, err := os.Stat(filepath.Join(dir, "sales.image")); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("an image that cannot cover the file is left beside it: %v", err)
			}
		})
	}
}

// Reading a stopped service's file without writing (a backup of the
// folder, a verification) leaves its image good.
func TestALookIntoTheStoppedFileLeavesItsImageGood(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sales.db")
	want := writeFile(t, path, 3)
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.View(func(btx *bolt.Tx) error {
		for err := range btx.Check() {
			return err
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := readImage(t, path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(imageBytes(t, got), imageBytes(t, want)) {
		t.Fatal("the engine read differs from the one written")
	}
}

// A stopped service's folder copied whole (sales.db with its image) is the
// same state: the copy reads its image.
func TestACopyOfAStoppedFolderReadsItsImage(t *testing.T) {
	dir := t.TempDir()
	want := writeFile(t, filepath.Join(dir, "sales.db"), 6)
	to := t.TempDir()
	for _, name := range []string{"sales.db", "sales.image"} {
		bolttest.Copy(t, filepath.Join(dir, name), filepath.Join(to, name))
	}
	got, err := readImage(t, filepath.Join(to, "sales.db"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(imageBytes(t, got), imageBytes(t, want)) {
		t.Fatal("the copy's engine differs from the one written")
	}
}

func alter(t *testing.T, path string, f func([]byte) []byte) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, f(b), 0o600); err != nil {
		t.Fatal(err)
	}
}

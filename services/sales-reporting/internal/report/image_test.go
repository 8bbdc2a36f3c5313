package report

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
	"unsafe"
)

func imageOf(t testing.TB, e *Engine, stamp string) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := e.WriteImage(&b, []byte(stamp)); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func readImage(t testing.TB, img []byte, loc *time.Location, stamp string) *Engine {
	t.Helper()
	e, err := ReadImage(bytes.NewReader(img), int64(len(img)), loc, []byte(stamp))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// differingFields names the fields of a and b that differ, but for the
// caches of the last names and attributions met, which an image does not
// keep (they change no answer), and the lock.
func differingFields(a, b *Engine) []string {
	a.mu.RLock()
	defer a.mu.RUnlock()
	b.mu.RLock()
	defer b.mu.RUnlock()
	va, vb := reflect.ValueOf(a).Elem(), reflect.ValueOf(b).Elem()
	var out []string
	for i, f := range reflect.VisibleFields(va.Type()) {
		switch f.Name {
		case "mu", "memo", "pmemo":
			continue
		}
		// The fields are unexported: read them through their addresses.
		x := reflect.NewAt(f.Type, unsafe.Pointer(va.Field(i).UnsafeAddr())).Elem().Interface()
		y := reflect.NewAt(f.Type, unsafe.Pointer(vb.Field(i).UnsafeAddr())).Elem().Interface()
		if !reflect.DeepEqual(x, y) {
			out = append(out, f.Name)
		}
	}
	return out
}

// Every field of the engine is in its image: the engine read back equals
// the one written, field by field (the caches of the last names met
// aside), for engines loaded from cells and fed batch by batch, empty or
// not; and its image is the same bytes again. A field added to the engine
// and to no part of the image fails here.
func TestImageHoldsTheWholeEngine(t *testing.T) {
	loc := shanghai(t)
	engines := map[string]*Engine{"empty": New(loc)}
	for _, seed := range []uint64{1, 2, 7} {
		w := genWorld(t, seed, 3000)
		engines[fmt.Sprintf("loaded %d", seed)] = loadCells(w)
		engines[fmt.Sprintf("applied %d", seed)] = applyInBatches(w, rand.New(rand.NewPCG(seed, 3)))
	}
	moved := applyInBatches(genWorld(t, 5, 2000), rand.New(rand.NewPCG(5, 5)))
	for _, x := range genWorld(t, 5, 2000).latest {
		x.AsOf, x.Day = x.AsOf.Add(time.Hour), x.Day+1
		moved.ApplyTraffic([]Traffic{x})
	}
	engines["traffic moved"] = moved
	onlyTraffic := New(loc)
	onlyTraffic.ApplyTraffic(genWorld(t, 6, 10).latest)
	engines["traffic alone"] = onlyTraffic
	for name, e := range engines {
		t.Run(name, func(t *testing.T) {
			img := imageOf(t, e, "stamp")
			back := readImage(t, img, loc, "stamp")
			if diff := differingFields(back, e); len(diff) > 0 {
				t.Fatalf("the engine read back differs in %v", diff)
			}
			if again := imageOf(t, back, "stamp"); !bytes.Equal(again, img) {
				t.Fatalf("the image of the engine read back differs (%d bytes against %d)", len(again), len(img))
			}
		})
	}
}

// An engine read from an image answers every query, ranking, overview
// and session summary as the engine written does, and as a walk of its
// records does; and it goes on doing so as more sales and traffic arrive
// (the maps rebuilt after reading find what the merge must find).
func TestAnEngineReadFromItsImageAnswersAsTheOneWritten(t *testing.T) {
	for _, seed := range []uint64{1, 20201231} {
		t.Run(fmt.Sprintf("seed %d", seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 17))
			w := genWorld(t, seed, 3000)
			half := w
			half.deltas, half.traffic = w.deltas[:len(w.deltas)/2], w.traffic[:len(w.traffic)/2]
			half.latest = nil
			written := applyInBatches(half, r)
			read := readImage(t, imageOf(t, written, "s"), w.loc, "s")
			sameAnswers(t, half, r, written, read)
			// The rest of the sales and traffic, into both.
			rest := w.deltas[len(w.deltas)/2:]
			for i := 0; i < len(rest); {
				n := min(1+r.IntN(40), len(rest)-i)
				for _, e := range []*Engine{written, read} {
					e.Apply(rest[i : i+n])
				}
				i += n
			}
			for _, e := range []*Engine{written, read} {
				e.ApplyTraffic(w.traffic[len(w.traffic)/2:])
			}
			sameAnswers(t, w, r, written, read, loadCells(w))
			checkSessionSummaries(t, w, read)
		})
	}
}

// sameAnswers holds every engine to the answers of the first.
func sameAnswers(t *testing.T, w world, r *rand.Rand, want *Engine, others ...*Engine) {
	t.Helper()
	var qs []Query
	for _, c := range cases(w, r) {
		qs = append(qs, c.query(t))
	}
	first, last := DayOf(w.first, time.UTC), DayOf(w.last, time.UTC)
	for y := 2020; y <= 2022; y++ {
		for _, g := range allGrans {
			for _, by := range [][]Dimension{nil, {DimCategory}, {DimHost}, {DimMerchant, DimDistrict}} {
				qs = append(qs, Query{Start: civil(y, 1, 1), End: civil(y+1, 1, 1), Granularity: g, GroupBy: by},
					Query{Start: civil(y, 1, 1), End: civil(y+1, 1, 1), Granularity: g, GroupBy: by, Compare: PreviousPeriod})
			}
		}
	}
	for _, q := range qs {
		exp, err := want.Query(q)
		for _, e := range others {
			if got, gerr := e.Query(q); (gerr == nil) != (err == nil) || !reflect.DeepEqual(got, exp) {
				t.Fatalf("%+v: read from the image\n%+v (%v)\nwritten\n%+v (%v)", q, got, gerr, exp, err)
			}
		}
	}
	for range 20 {
		start := first + Day(r.IntN(int(last-first)+1))
		end := start + 1 + Day(r.IntN(400))
		if got, exp := others[0].Overview(start, end), want.Overview(start, end); !reflect.DeepEqual(got, exp) {
			t.Fatalf("Overview(%s..%s): read from the image\n%+v\nwritten\n%+v", start, end, got, exp)
		}
		for _, d := range allDims {
			exp, _, _ := want.Top(d, MetricNet, Filter{}, start, end, 100)
			for _, e := range others {
				if got, _, _ := e.Top(d, MetricNet, Filter{}, start, end, 100); !reflect.DeepEqual(got, exp) {
					t.Fatalf("Top(%d, %s..%s): read from the image\n%+v\nwritten\n%+v", d, start, end, got, exp)
				}
			}
		}
	}
	if got, exp := others[0].Stats(), want.Stats(); got != exp {
		t.Fatalf("Stats: read from the image %+v, written %+v", got, exp)
	}
}

// An image is read only whole, unchanged, of this version, with the stamp
// and the time zone asked for; anything else is refused with the reason,
// and never read as an engine.
func TestAnImageIsReadOnlyWholeAndAsStamped(t *testing.T) {
	loc := shanghai(t)
	w := genWorld(t, 4, 1500)
	img := imageOf(t, loadCells(w), "file-a:42")
	read := func(b []byte, zone *time.Location, stamp string) error {
		_, err := ReadImage(bytes.NewReader(b), int64(len(b)), zone, []byte(stamp))
		return err
	}
	if err := read(img, loc, "file-a:42"); err != nil {
		t.Fatal(err)
	}
	otherVersion := bytes.Clone(img)
	le.PutUint32(otherVersion[len(imageMagic):], imageVersion+1)
	for _, c := range []struct {
		name  string
		img   []byte
		zone  *time.Location
		stamp string
		want  error
	}{
		{"another state of the store", img, loc, "file-a:43", ErrImageStale},
		{"another file", img, loc, "file-b:42", ErrImageStale},
		{"another time zone", img, time.UTC, "file-a:42", ErrImageStale},
		{"another version", otherVersion, loc, "file-a:42", ErrImageVersion},
		{"empty", nil, loc, "file-a:42", ErrImageCorrupt},
		{"not an image", []byte("sales.db is not an image of anything"), loc, "file-a:42", ErrImageCorrupt},
		{"one byte more", append(bytes.Clone(img), 0), loc, "file-a:42", ErrImageCorrupt},
	} {
		if err := read(c.img, c.zone, c.stamp); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	r := rand.New(rand.NewPCG(4, 4))
	for range 300 {
		cut := r.IntN(len(img))
		if err := read(img[:cut], loc, "file-a:42"); !errors.Is(err, ErrImageCorrupt) && !errors.Is(err, ErrImageStale) {
			t.Fatalf("cut at %d of %d bytes: %v", cut, len(img), err)
		}
		bad := bytes.Clone(img)
		at := len(imageMagic) + 4 + r.IntN(len(img)-len(imageMagic)-4)
		bad[at] ^= byte(1 + r.IntN(255))
		if err := read(bad, loc, "file-a:42"); !errors.Is(err, ErrImageCorrupt) && !errors.Is(err, ErrImageStale) {
			t.Fatalf("byte %d of %d changed: %v", at, len(img), err)
		}
	}
}

// BenchmarkStartFromImage: start-up's two ways to the engine of the
// synthetic year (184,000 sessions, about 0.9M cells), in one run: the
// full load merges every cell (FullLoad), the image reads the engine
// back (ReadImage); WriteImage is what a clean stop adds.
//
//	go test -run '^$' -bench StartFromImage -benchtime 5x -count 3 ./internal/report
func BenchmarkStartFromImage(b *testing.B) {
	st := loadedStore(b, 184000)
	var cells []Cell
	// The cells as the store hands them over, rebuilt from the same synth.
	s := newSynth(b, 184000)
	for i := range 184000 {
		days := 1 + s.r.IntN(2)
		for _, p := range s.sessionProducts[i] {
			for off := range days {
				d, at := s.day(i, off)
				orders := 1 + s.r.Int64N(200)
				cells = append(cells, Cell{Session: fmt.Sprintf("sessions/s%06d", i), Product: s.products[p], Attr: s.attr(i, p), Day: d,
					Orders: orders, Units: orders * 2, Gross: orders * 4990, FirstEvent: at, LastEvent: at.Add(time.Hour)})
			}
		}
		if s.r.IntN(10) == 0 {
			p := s.sessionProducts[i][0]
			d, at := s.day(i, 7+s.r.IntN(30))
			cells = append(cells, Cell{Session: fmt.Sprintf("sessions/s%06d", i), Product: s.products[p], Attr: s.attr(i, p), Day: d,
				Refunds: 4990, RefundLines: 1, FirstEvent: at, LastEvent: at})
		}
	}
	img := imageOf(b, st.e, "bench")
	b.Run("FullLoad", func(b *testing.B) {
		for b.Loop() {
			e := New(s.loc)
			for i := range cells {
				e.Load(cells[i])
			}
			e.Compact()
		}
		b.ReportMetric(float64(len(cells)), "cells")
	})
	b.Run("ReadImage", func(b *testing.B) {
		for b.Loop() {
			readImage(b, img, s.loc, "bench")
		}
		b.ReportMetric(float64(len(img))/(1<<20), "image-MiB")
	})
	b.Run("WriteImage", func(b *testing.B) {
		for b.Loop() {
			if err := st.e.WriteImage(io.Discard, []byte("bench")); err != nil {
				b.Fatal(err)
			}
		}
	})
}

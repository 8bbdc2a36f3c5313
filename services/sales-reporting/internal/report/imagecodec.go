package report

import (
	"encoding/binary"
	"fmt"
	"hash"
	"io"
	"time"
)

// The byte level of an engine's image (image.go): fixed-width
// little-endian records, a writer that gathers them in chunks and a reader
// that takes them from a section, both keeping the section's CRC-32C.

// Fixed sizes of the records in an image.
const (
	recSize      = 4*4 + 4*8
	crecSize     = recSize + 8*4
	trecSize     = 4 + timeSize + 7*8
	totSize      = 6 * 8
	tsumsSize    = 7 * 8
	recEntrySize = 5 * 4
	dayRefSize   = 3 * 4
	crefSize     = 3 * 4
	timeSize     = 8 + 4 + 1
)

func putI32(b []byte, x *int32) { le.PutUint32(b, uint32(*x)) }
func getI32(b []byte, x *int32) { *x = int32(le.Uint32(b)) }

func putSums(b []byte, s *sums) {
	le.PutUint64(b, uint64(s.orders))
	le.PutUint64(b[8:], uint64(s.units))
	le.PutUint64(b[16:], uint64(s.gross))
	le.PutUint64(b[24:], uint64(s.refunds))
}

func getSums(b []byte, s *sums) {
	s.orders, s.units, s.gross, s.refunds = int64(le.Uint64(b)), int64(le.Uint64(b[8:])), int64(le.Uint64(b[16:])), int64(le.Uint64(b[24:]))
}

const prowSize = 4*8 + 4 + 1

func putProw(b []byte, r *prow) {
	putSums(b, &r.sums)
	le.PutUint32(b[32:], uint32(r.sessions))
	b[36] = 0
	if r.held {
		b[36] = 1
	}
}

func getProw(b []byte, r *prow) {
	getSums(b, &r.sums)
	r.sessions, r.held = int32(le.Uint32(b[32:])), b[36] != 0
}

func putRec(b []byte, r *rec) {
	le.PutUint32(b, uint32(r.session))
	le.PutUint32(b[4:], uint32(r.sattr))
	le.PutUint32(b[8:], uint32(r.pattr))
	le.PutUint32(b[12:], uint32(r.prev))
	putSums(b[16:], &r.sums)
}

func getRec(b []byte, r *rec) {
	r.session, r.sattr, r.pattr, r.prev = int32(le.Uint32(b)), int32(le.Uint32(b[4:])), int32(le.Uint32(b[8:])), Day(le.Uint32(b[12:]))
	getSums(b[16:], &r.sums)
}

func putCrec(b []byte, c *crec) {
	putRec(b, &c.rec)
	for i, d := range c.pp {
		le.PutUint32(b[recSize+4*i:], uint32(d))
	}
}

func getCrec(b []byte, c *crec) {
	getRec(b, &c.rec)
	for i := range c.pp {
		c.pp[i] = Day(le.Uint32(b[recSize+4*i:]))
	}
}

func putTsums(b []byte, t *tsums) {
	for i, x := range [...]int64{t.Sessions, t.Views, t.Viewers, t.PeakConcurrentViewers, t.ProductImpressions, t.ProductClicks, t.ViewMillis} {
		le.PutUint64(b[8*i:], uint64(x))
	}
}

func getTsums(b []byte, t *tsums) {
	for i, x := range [...]*int64{&t.Sessions, &t.Views, &t.Viewers, &t.PeakConcurrentViewers, &t.ProductImpressions, &t.ProductClicks, &t.ViewMillis} {
		*x = int64(le.Uint64(b[8*i:]))
	}
}

func putTot(b []byte, t *tot) {
	putSums(b, &t.sums)
	le.PutUint64(b[32:], uint64(t.sessions))
	le.PutUint64(b[40:], uint64(t.cells))
}

func getTot(b []byte, t *tot) {
	getSums(b, &t.sums)
	t.sessions, t.cells = int64(le.Uint64(b[32:])), int64(le.Uint64(b[40:]))
}

func putRecEntry(b []byte, x *recEntry) {
	for i, v := range [...]int32{x.kind, x.a, x.b, x.c, x.idx} {
		le.PutUint32(b[4*i:], uint32(v))
	}
}

func getRecEntry(b []byte, x *recEntry) {
	for i, v := range [...]*int32{&x.kind, &x.a, &x.b, &x.c, &x.idx} {
		*v = int32(le.Uint32(b[4*i:]))
	}
}

// A dayRef and a cref are three int32s each: a day, an attribution, a
// position.
func put3(b []byte, x, y, z int32) {
	le.PutUint32(b, uint32(x))
	le.PutUint32(b[4:], uint32(y))
	le.PutUint32(b[8:], uint32(z))
}

func get3(b []byte) (Day, int32, int32) {
	return Day(le.Uint32(b)), int32(le.Uint32(b[4:])), int32(le.Uint32(b[8:]))
}

func putDayRef(b []byte, r *dayRef) { put3(b, int32(r.day), r.sattr, r.idx) }
func getDayRef(b []byte, r *dayRef) { r.day, r.sattr, r.idx = get3(b) }
func putCref(b []byte, r *cref)     { put3(b, int32(r.day), r.pattr, r.idx) }
func getCref(b []byte, r *cref)     { r.day, r.pattr, r.idx = get3(b) }

var le = binary.LittleEndian

// imageChunk is how many bytes the writer gathers (and the reader takes)
// at a time.
const imageChunk = 1 << 16

// imageWriter writes an image; its first error sticks and finish reports
// it.
type imageWriter struct {
	w      io.Writer
	crc    hash.Hash32
	buf    []byte
	err    error
	engine *Engine
	// n is how many bytes were written, start where the section began.
	n, start int64
}

// endSection ends the section written since the last one: where it is,
// and its checksum.
func (w *imageWriter) endSection() sectionRef {
	w.flush()
	t := sectionRef{w.start, w.n - w.start, w.crc.Sum32()}
	w.start = w.n
	w.crc.Reset()
	return t
}

// grab is n bytes at the end of the buffer for the caller to fill.
func (w *imageWriter) grab(n int) []byte {
	if len(w.buf)+n > cap(w.buf) {
		w.flush()
		if n > cap(w.buf) {
			w.buf = make([]byte, 0, n)
		}
	}
	at := len(w.buf)
	w.buf = w.buf[:at+n]
	return w.buf[at:]
}

func (w *imageWriter) flush() {
	if w.err == nil && len(w.buf) > 0 {
		w.crc.Write(w.buf)
		_, w.err = w.w.Write(w.buf)
		w.n += int64(len(w.buf))
	}
	w.buf = w.buf[:0]
}

func (w *imageWriter) raw(b []byte)   { copy(w.grab(len(b)), b) }
func (w *imageWriter) u32(x uint32)   { le.PutUint32(w.grab(4), x) }
func (w *imageWriter) i32(x int32)    { w.u32(uint32(x)) }
func (w *imageWriter) i64(x int64)    { le.PutUint64(w.grab(8), uint64(x)) }
func (w *imageWriter) bytes(b []byte) { w.u32(uint32(len(b))); w.raw(b) }

func (w *imageWriter) bool(b bool) {
	var x byte
	if b {
		x = 1
	}
	w.grab(1)[0] = x
}

func (w *imageWriter) strings(s []string) {
	w.u32(uint32(len(s)))
	for _, x := range s {
		w.bytes([]byte(x))
	}
}

// Times keep their instant, and their location when it is UTC, the
// engine's time zone or Local (an engine read back then equals the one
// written, field by field); any other becomes UTC.
const (
	timeUTC byte = iota
	timeEngine
	timeLocal
)

func (w *imageWriter) time(e *Engine, t time.Time) {
	putTime(w.grab(timeSize), e, t)
}

func putTime(b []byte, e *Engine, t time.Time) {
	le.PutUint64(b, uint64(t.Unix()))
	le.PutUint32(b[8:], uint32(t.Nanosecond()))
	switch t.Location() {
	case e.loc:
		b[12] = timeEngine
	case time.Local:
		b[12] = timeLocal
	default:
		b[12] = timeUTC
	}
}

func getTime(b []byte, e *Engine) time.Time {
	t := time.Unix(int64(le.Uint64(b)), int64(le.Uint32(b[8:])))
	switch b[12] {
	case timeEngine:
		return t.In(e.loc)
	case timeLocal:
		return t.In(time.Local)
	}
	return t.UTC()
}

// trec is a traffic record's encoder; it needs the engine for its time.
func (w *imageWriter) trec(b []byte, t *trec) {
	le.PutUint32(b, uint32(t.sattr))
	putTime(b[4:], w.engine, t.asOf)
	putTsums(b[4+timeSize:], &t.tsums)
}

// writeSlice writes s's length and its records of size bytes each.
func writeSlice[T any](w *imageWriter, s []T, size int, put func([]byte, *T)) {
	w.u32(uint32(len(s)))
	per := max(1, imageChunk/size)
	for i := 0; i < len(s); i += per {
		part := s[i:min(i+per, len(s))]
		b := w.grab(len(part) * size)
		for j := range part {
			put(b[j*size:], &part[j])
		}
	}
}

// imageReader reads an image of a known size; its first error sticks, and
// every read after it gives zeros.
type imageReader struct {
	r      io.Reader
	crc    hash.Hash32
	buf    []byte
	off    int
	remain int64 // bytes of the section not yet in buf
	want   uint32
	err    error
	engine *Engine
}

func (r *imageReader) fail(err error) error {
	if r.err == nil {
		r.err = err
	}
	return r.err
}

// take is the next n bytes (n at most a chunk), or zeros after an error.
func (r *imageReader) take(n int) []byte {
	if r.err == nil && len(r.buf)-r.off < n {
		r.fill(n)
	}
	if r.err != nil {
		return make([]byte, n)
	}
	b := r.buf[r.off : r.off+n]
	r.off += n
	return b
}

// fill moves what is left of the buffer to its front and reads behind it
// until it holds at least n bytes.
func (r *imageReader) fill(n int) {
	rest := len(r.buf) - r.off
	if size := max(2*imageChunk, n); cap(r.buf) < size {
		nb := make([]byte, size)
		copy(nb, r.buf[r.off:])
		r.buf = nb[:rest]
	} else {
		copy(r.buf[:rest], r.buf[r.off:])
		r.buf = r.buf[:rest]
	}
	r.off = 0
	want := min(int64(cap(r.buf)-rest), r.remain)
	if int64(rest)+want < int64(n) {
		r.fail(fmt.Errorf("%w: cut short", ErrImageCorrupt))
		return
	}
	b := r.buf[rest : rest+int(want)]
	if _, err := io.ReadFull(r.r, b); err != nil {
		r.fail(fmt.Errorf("%w: %v", ErrImageCorrupt, err))
		return
	}
	r.crc.Write(b)
	r.remain -= want
	r.buf = r.buf[:rest+int(want)]
}

func (r *imageReader) u32() uint32 { return le.Uint32(r.take(4)) }
func (r *imageReader) i32() int32  { return int32(r.u32()) }
func (r *imageReader) i64() int64  { return int64(le.Uint64(r.take(8))) }
func (r *imageReader) bool() bool  { return r.take(1)[0] != 0 }

// count reads a count of things of at least size bytes each, refusing
// one the rest of the image cannot hold (a corrupt count would otherwise
// ask for any amount of memory).
func (r *imageReader) count(size int) int {
	n := int64(r.u32())
	if n*int64(size) > r.remain+int64(len(r.buf)-r.off) {
		r.fail(fmt.Errorf("%w: a count of %d past its end", ErrImageCorrupt, n))
		return 0
	}
	return int(n)
}

func (r *imageReader) bytes() []byte {
	n := r.count(1)
	out := make([]byte, n)
	for i := 0; i < n; {
		k := min(n-i, imageChunk)
		copy(out[i:], r.take(k))
		i += k
	}
	return out
}

func (r *imageReader) strings() []string {
	n := r.count(4)
	if n == 0 {
		return nil
	}
	out := make([]string, n)
	for i := range out {
		out[i] = string(r.bytes())
	}
	return out
}

func (r *imageReader) time(e *Engine) time.Time { return getTime(r.take(timeSize), e) }

func (r *imageReader) trec(b []byte, t *trec) {
	t.sattr = int32(le.Uint32(b))
	t.asOf = getTime(b[4:], r.engine)
	getTsums(b[4+timeSize:], &t.tsums)
}

// finish checks that the section ends here, with the checksum the table
// gives it.
func (r *imageReader) finish() error {
	if r.err != nil {
		return r.err
	}
	if r.off != len(r.buf) || r.remain != 0 {
		return fmt.Errorf("%w: %d bytes past the last part of a section", ErrImageCorrupt, int64(len(r.buf)-r.off)+r.remain)
	}
	if r.crc.Sum32() != r.want {
		return fmt.Errorf("%w: a section does not match its checksum", ErrImageCorrupt)
	}
	return nil
}

// makeN is a slice of n zeros, nil when n is 0 (as an engine that never
// appended holds it).
func makeN[T any](n int) []T {
	if n == 0 {
		return nil
	}
	return make([]T, n)
}

// readSlice reads a slice written by writeSlice, nil when empty.
func readSlice[T any](r *imageReader, size int, get func([]byte, *T)) []T {
	n := r.count(size)
	if n == 0 {
		return nil
	}
	s := make([]T, n)
	per := max(1, imageChunk/size)
	for i := 0; i < n; i += per {
		part := s[i:min(i+per, n)]
		b := r.take(len(part) * size)
		for j := range part {
			get(b[j*size:], &part[j])
		}
	}
	return s
}

package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"

	storev1 "github.com/cqlive/alliance/gen/pb/alliance/sales/store/v1"
	"github.com/tidwall/wal"
	"google.golang.org/protobuf/proto"
)

// sales.wal is the write-ahead log in front of sales.db: each group commit
// of the ingestion is one LogEntry, appended and synced (one fsync) before
// any of its lines is answered, and sales.db takes the entries in large
// transactions behind it (store.go). The log itself is
// github.com/tidwall/wal (segment files of length-prefixed entries); this
// file adds what the store needs around it: a checksum on every entry (the
// library has none, so a torn or zeroed tail would otherwise read as
// entries), dropping a torn last entry, and syncing the directory when the
// library creates or renames a segment (it syncs files, not directories,
// and a power loss could otherwise forget a synced segment's name).

// walSegmentSize is the size at which the library starts another segment.
// The log is emptied after every commit of sales.db that finds it this
// large, so it seldom reaches it.
const walSegmentSize = 64 << 20

// truncateAt is how many bytes of applied entries the log keeps before
// it is emptied (at Close it always is): emptying costs a synced file and
// a directory sync, so it is not done for every commit of sales.db.
const truncateAt = 4 << 20

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// errTorn marks an entry that does not read back: the last entries of a
// log that a crash cut short.
var errTorn = errors.New("entry does not read back")

type saleWAL struct {
	log    *wal.Log
	dir    string
	noSync bool
	// bytes appended since the log was last emptied.
	bytes int
	// segSize is the library's SegmentSize; tail bounds the bytes of its
	// tail segment from above, so that an append that cannot start a
	// segment looks for none (a stat per group was a tenth of the log's CPU).
	segSize, tail int
	// buf is the last entry's encoding, reused (the library copies it).
	buf    []byte
	lenBuf [binary.MaxVarintLen64]byte
	// dirSyncs counts the syncs of dir, for the tests.
	dirSyncs int
}

func openWAL(dir string, noSync bool) (*saleWAL, error) {
	return openWALSized(dir, noSync, walSegmentSize)
}

// openWALSized is openWAL with the segment size the tests choose.
func openWALSized(dir string, noSync bool, segSize int) (*saleWAL, error) {
	opts := &wal.Options{NoSync: noSync, SegmentSize: segSize, AllowEmpty: true, DirPerms: 0o750, FilePerms: 0o600}
	l, err := wal.Open(dir, opts)
	if errors.Is(err, wal.ErrCorrupt) {
		// The library reads the last segment whole on open and refuses a
		// partial last entry, which is what a crash during an append
		// leaves: cut the segment after its last whole entry (that entry's
		// writer was never answered) and open again.
		if rerr := cutPartialTail(dir); rerr != nil {
			return nil, fmt.Errorf("%s: %w (cutting its partial tail: %v)", dir, err, rerr)
		}
		l, err = wal.Open(dir, opts)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	w := &saleWAL{log: l, dir: dir, noSync: noSync, segSize: segSize}
	if err := w.measureTail(); err != nil {
		_ = l.Close()
		return nil, err
	}
	// The directory may be new: its name must outlive a power loss too.
	if err := w.syncDir(filepath.Dir(dir)); err != nil {
		_ = l.Close()
		return nil, err
	}
	if err := w.syncDir(dir); err != nil {
		_ = l.Close()
		return nil, err
	}
	return w, nil
}

// cutPartialTail truncates the last segment of the log in dir after its
// last whole entry (the library's binary form: a uvarint length, then the
// data).
func cutPartialTail(dir string) error {
	path, err := tailSegment(dir)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	pos := 0
	for pos < len(data) {
		size, n := binary.Uvarint(data[pos:])
		if n <= 0 || uint64(len(data)-pos-n) < size {
			break
		}
		pos += n + int(size)
	}
	if pos == len(data) {
		return errors.New("the last segment reads whole")
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if err := f.Truncate(int64(pos)); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

// tailSegment is the path of the newest segment of the log in dir (the
// library names a segment by its first index, 20 digits).
func tailSegment(dir string) (string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return "", err
	}
	var segs []string
	for _, e := range ents {
		if n := e.Name(); len(n) == 20 && !e.IsDir() {
			if _, err := strconv.ParseUint(n, 10, 64); err == nil {
				segs = append(segs, n)
			}
		}
	}
	if len(segs) == 0 {
		return "", errors.New("no segment")
	}
	sort.Strings(segs)
	return filepath.Join(dir, segs[len(segs)-1]), nil
}

// measureTail sets tail to the size of the tail segment on disk.
func (w *saleWAL) measureTail() error {
	path, err := tailSegment(w.dir)
	if err != nil {
		return err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	w.tail = int(fi.Size())
	return nil
}

func (w *saleWAL) syncDir(dir string) error {
	w.dirSyncs++
	if w.noSync {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// encodeEntry is e as the log stores it: a CRC-32C of the message, then
// the message.
func encodeEntry(e *storev1.LogEntry) ([]byte, error) {
	return appendEntry(nil, e)
}

// appendEntry is encodeEntry into buf's storage.
func appendEntry(buf []byte, e *storev1.LogEntry) ([]byte, error) {
	o := proto.MarshalOptions{Deterministic: true}
	n := 4 + o.Size(e)
	b := append(buf[:0], make([]byte, 4)...)
	b = slices.Grow(b, n-4)
	// The size was just computed: marshalling does not compute it again.
	o.UseCachedSize = true
	b, err := o.MarshalAppend(b, e)
	if err != nil {
		return nil, err
	}
	binary.BigEndian.PutUint32(b, crc32.Checksum(b[4:], crcTable))
	return b, nil
}

func decodeEntry(b []byte) (*storev1.LogEntry, error) {
	if len(b) < 4 || binary.BigEndian.Uint32(b) != crc32.Checksum(b[4:], crcTable) {
		return nil, errTorn
	}
	var e storev1.LogEntry
	if err := proto.Unmarshal(b[4:], &e); err != nil {
		return nil, errTorn
	}
	return &e, nil
}

// append adds e after the last entry and syncs it (unless the store was
// opened without fsync, for benchmarks that say so).
func (w *saleWAL) append(e *storev1.LogEntry) error {
	data, err := appendEntry(w.buf, e)
	if err != nil {
		return err
	}
	w.buf = data
	last, err := w.log.LastIndex()
	if err != nil {
		return err
	}
	// The library starts a segment before an append when its tail holds
	// more than segSize bytes, and after one that brings it to segSize; an
	// entry is its length (a uvarint) and its bytes.
	size := len(binary.AppendUvarint(w.lenBuf[:0], uint64(len(data)))) + len(data)
	mayStart := w.tail+size >= w.segSize
	if err := w.log.Write(last+1, data); err != nil {
		return err
	}
	w.bytes += len(data)
	w.tail += size
	if !mayStart {
		return nil
	}
	// A segment is named by its first index: one named after the next
	// entry was made after this one (and is empty), one named after this
	// entry was made before it (and holds it). Either way the directory
	// holds a name not yet synced.
	for i, tail := range []int{0, size} {
		if _, err := os.Stat(filepath.Join(w.dir, fmt.Sprintf("%020d", last+2-uint64(i)))); err == nil {
			w.tail = tail
			return w.syncDir(w.dir)
		}
	}
	return nil
}

// entries calls fn with every entry in order, its position too; a
// position whose entry does not read back gives errTorn to fn.
func (w *saleWAL) entries(fn func(i uint64, e *storev1.LogEntry, err error) error) error {
	first, last, err := w.bounds()
	if err != nil {
		return err
	}
	for i := first; i <= last && i != 0; i++ {
		data, err := w.log.Read(i)
		if err != nil {
			return fmt.Errorf("%s entry %d: %w", w.dir, i, err)
		}
		e, err := decodeEntry(data)
		if err := fn(i, e, err); err != nil {
			return err
		}
	}
	return nil
}

// bounds are the positions of the first and the last entry (last <
// first: none).
func (w *saleWAL) bounds() (first, last uint64, err error) {
	if first, err = w.log.FirstIndex(); err != nil {
		return 0, 0, err
	}
	last, err = w.log.LastIndex()
	return first, last, err
}

// dropFrom removes the entries from position i on.
func (w *saleWAL) dropFrom(i uint64) error {
	if err := w.log.TruncateBack(i - 1); err != nil {
		return err
	}
	// The tail may now be an older, fuller segment.
	if err := w.measureTail(); err != nil {
		return err
	}
	return w.syncDir(w.dir)
}

// empty removes every entry, once sales.db holds them all; force
// empties even a small log (Close, so that a clean stop leaves none).
func (w *saleWAL) empty(force bool) error {
	if w.bytes < truncateAt && !force {
		return nil
	}
	first, last, err := w.bounds()
	if err != nil {
		return err
	}
	if last < first {
		w.bytes = 0
		return nil
	}
	if err := w.log.TruncateFront(last + 1); err != nil {
		return err
	}
	w.bytes, w.tail = 0, 0 // one empty segment
	return w.syncDir(w.dir)
}

func (w *saleWAL) close() error { return w.log.Close() }

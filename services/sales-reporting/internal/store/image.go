package store

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/cqlive/alliance/services/kit/boltdb"
	bolt "go.etcd.io/bbolt"
)

// The engine's image (sales.image beside sales.db; report/image.go writes
// its content) lets start-up skip merging every cell. It must never stand
// for a state of sales.db other than the one it was taken from. What ties
// the two together is a close token: 16 random bytes that a clean Close
// commits into sales.db, after its last write, and writes into the
// image's stamp (with the file's log id and the schema version). The next
// Open reads the token and deletes it from the file in its first write
// transaction, before anything else changes the file: from then on no
// image matches the file, whatever happens to it (more writes, a crash, a
// restore, a migration), until the next clean Close writes a new pair.
// The token is stored with the id of the bbolt transaction that wrote it,
// and Open takes it only if its own transaction is the second after that
// one (the first is kit/boltdb.Open's): a binary that does not know the
// token (an older release run in between) cannot open the file without
// committing to it, so any run of it leaves the token untaken.
// So a file matches an image only while it is exactly as that Close left
// it; a copy of such a file (cp of a stopped service's folder) matches
// its image too, and rightly. A backup taken while the service runs
// (WriteSnapshot) holds no token: the Open before it deleted it.
//
// The engine built from the image must answer as the full load would.
// The two differ in one case: a session's or a product's snapshot stored
// again with another attribution. The full load attributes every cell of
// it by the new snapshot, where the running engine keeps the attribution
// each cell's first sale had. A run that did so writes no image.

var imageTokenKey = []byte("image_token")

// ErrNoImage: there is no image to read, or none that can cover the file.
var ErrNoImage = errors.New("no engine image covers sales.db")

// ImagePath is where the image of the engine is kept: beside sales.db.
func (s *Store) ImagePath() string { return boltdb.ImagePath(s.path) }

// opensBeforeToken is how many write transactions Open commits before the
// one that takes the token: kit/boltdb.Open's (schema and buckets).
const opensBeforeToken = 1

// takeToken reads the close token of the file and deletes it, in Open's
// first write transaction btx; s.token is the token if the file is as the
// Close that wrote it left it, nil otherwise (s.noToken says why).
func (s *Store) takeToken(btx *bolt.Tx, b *bolt.Bucket) error {
	v := b.Get(imageTokenKey)
	switch {
	case v == nil:
		s.noToken = "sales.db was not left by a clean stop that wrote one"
		return nil
	case len(v) != 24:
		s.noToken = "sales.db's close token is damaged"
	case uint64(btx.ID()) != binary.BigEndian.Uint64(v[16:])+opensBeforeToken+1:
		s.noToken = fmt.Sprintf("sales.db took %d commits since the clean stop that wrote it (another binary wrote to it?)",
			int64(btx.ID())-int64(binary.BigEndian.Uint64(v[16:]))-1)
	default:
		s.token = bytes.Clone(v[:16])
	}
	return b.Delete(imageTokenKey)
}

// stamp is what an image of the file with close token token carries.
func (s *Store) stamp(token []byte) []byte {
	b := append([]byte("sales.db log "), s.logID...)
	b = append(b, " close "...)
	b = append(b, token...)
	return binary.BigEndian.AppendUint64(append(b, " schema "...), uint64(Schema.Version))
}

// ReadImage calls read with the image beside sales.db, its size and the
// stamp it must carry to cover the file as Open found it. It returns
// ErrNoImage (wrapped, saying why) when there is none that could: the
// file was not left by a clean Close that wrote one, or the image is
// missing. The image is deleted afterwards, read or not: once Open took
// the token, it can never match the file again.
func (s *Store) ReadImage(read func(r io.ReaderAt, size int64, stamp []byte) error) error {
	path := s.ImagePath()
	defer func() { _ = os.Remove(path) }()
	_ = os.Remove(path + ".tmp") // a stop that crashed while writing it
	if s.token == nil {
		return fmt.Errorf("%w: %s", ErrNoImage, s.noToken)
	}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%w: %s is missing", ErrNoImage, path)
	} else if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	return read(f, st.Size(), s.stamp(s.token))
}

// WriteImageOnClose makes Close write an image with write, after the last
// commit of sales.db, and call done with where it went and how it ended
// (err nil: written; otherwise why not). Call it once the engine holds
// what sales.db holds.
func (s *Store) WriteImageOnClose(write func(w io.Writer, stamp []byte) error, done func(path string, err error)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.image.write, s.image.done = write, done
}

// writeImage writes the image at Close, with s.mu held and sales.db
// committed: a new token into sales.db, then the image beside it, written
// to sales.image.tmp and renamed over the old one. It is not synced: a
// crash that loses it or cuts it short leaves an image that does not read
// back (its checksum), and start-up falls back to the full load.
func (s *Store) writeImage() error {
	switch {
	case s.image.write == nil:
		return nil
	case s.broken != nil:
		return fmt.Errorf("the store stopped writing: %w", s.broken)
	case s.spoiled.Load():
		return errors.New("a session's or product's attribution was stored again with other values: the next start loads sales.db in full")
	}
	token := make([]byte, 16)
	if _, err := rand.Read(token); err != nil {
		return err
	}
	if err := s.db.Update(func(btx *bolt.Tx) error {
		return btx.Bucket(bucketWAL).Put(imageTokenKey, binary.BigEndian.AppendUint64(bytes.Clone(token), uint64(btx.ID())))
	}); err != nil {
		return err
	}
	path := s.ImagePath()
	tmp := path + ".tmp" // one name: a crash while writing leaves one file, which the next start deletes
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	err = s.image.write(f, s.stamp(token))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
	}
	return err
}

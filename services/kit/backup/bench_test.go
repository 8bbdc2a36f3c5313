package backup_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/cqlive/alliance/services/kit/backup"
	bolt "go.etcd.io/bbolt"
)

// BenchmarkBackup takes a backup of one store of 120,000 records (a 72 MB
// file) over loopback gRPC (stream, sha256, fsync, then tx.Check and the
// counts of the copy), and, as its floor in the same run, copies the same
// file with fsync. Read the MB/s of each and their ratio.
func BenchmarkBackup(b *testing.B) {
	dir := b.TempDir()
	path := filepath.Join(dir, "live", "sales.db")
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		b.Fatal(err)
	}
	st := openStore(b, path, 2)
	defer st.Close()
	val := bytes.Repeat([]byte{7}, 200)
	for n := uint64(0); n < 120_000; n += 10_000 {
		if err := st.DB.Update(func(tx *bolt.Tx) error {
			for i := n; i < n+10_000; i++ {
				if err := tx.Bucket(items).Put(binary.BigEndian.AppendUint64(nil, i), val); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("file: %d bytes", fi.Size())
	b.Run("copy-file-fsync", func(b *testing.B) {
		b.SetBytes(fi.Size())
		for i := range b.N {
			in, err := os.Open(path)
			if err != nil {
				b.Fatal(err)
			}
			out, err := os.Create(filepath.Join(dir, "copy-"+string(rune('a'+i%26))))
			if err != nil {
				b.Fatal(err)
			}
			if _, err := io.Copy(out, in); err != nil {
				b.Fatal(err)
			}
			if err := out.Sync(); err != nil {
				b.Fatal(err)
			}
			in.Close()
			out.Close()
		}
	})
	client := serve(b, "sales-reporting", "sales.db", st)
	b.Run("take", func(b *testing.B) {
		b.SetBytes(fi.Size())
		out := filepath.Join(dir, "backups")
		for range b.N {
			p, _, err := backup.Take(context.Background(), out, []backup.Target{{Service: "sales-reporting", Client: client}})
			if err != nil {
				b.Fatal(err)
			}
			os.RemoveAll(p)
		}
	})
}

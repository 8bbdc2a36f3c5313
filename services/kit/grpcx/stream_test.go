package grpcx_test

import (
	"bytes"
	"errors"
	"slices"
	"testing"

	"github.com/cqlive/alliance/services/kit/grpcx"
)

func TestAChunkWriterSendsFullChunksAndFlushesTheRest(t *testing.T) {
	cases := []struct {
		name   string
		writes []int // sizes of the writes, of bytes 0, 1, 2, ...
		want   []int // sizes of the chunks sent, Flush included
	}{
		{"nothing written sends nothing", nil, nil},
		{"less than a chunk waits for Flush", []int{3}, []int{3}},
		{"exactly a chunk is sent at once", []int{4}, []int{4}},
		{"a large write is cut", []int{10}, []int{4, 4, 2}},
		{"small writes are joined", []int{1, 2, 3, 2}, []int{4, 4}},
		{"empty writes change nothing", []int{0, 4, 0}, []int{4}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var chunks [][]byte
			w := &grpcx.ChunkWriter{Size: 4, Send: func(b []byte) error { chunks = append(chunks, b); return nil }}
			var all []byte
			for _, n := range c.writes {
				p := make([]byte, n)
				for i := range p {
					p[i] = byte(len(all) + i)
				}
				all = append(all, p...)
				if k, err := w.Write(p); k != n || err != nil {
					t.Fatalf("Write(%d bytes) = %d, %v", n, k, err)
				}
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			var sizes []int
			for _, ch := range chunks {
				sizes = append(sizes, len(ch))
			}
			if !slices.Equal(sizes, c.want) || !bytes.Equal(bytes.Join(chunks, nil), all) {
				t.Fatalf("chunks %v of %v; want sizes %v of %v", sizes, chunks, c.want, all)
			}
			// Every chunk kept its bytes: no buffer was reused under a sent one.
			for i := 1; i < len(chunks); i++ {
				if &chunks[i][:1][0] == &chunks[i-1][:1][0] {
					t.Fatalf("chunks %d and %d share a buffer", i-1, i)
				}
			}
		})
	}
}

func TestAChunkWriterStopsAtTheFirstFailedSend(t *testing.T) {
	refused := errors.New("the client went away")
	sends := 0
	w := &grpcx.ChunkWriter{Size: 4, Send: func([]byte) error { sends++; return refused }}
	n, err := w.Write(make([]byte, 10))
	if !errors.Is(err, refused) || n != 4 || sends != 1 {
		t.Fatalf("Write = %d, %v after %d sends; want 4, the send's error, 1", n, err, sends)
	}
}

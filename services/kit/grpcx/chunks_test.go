package grpcx

import (
	"bytes"
	"errors"
	"slices"
	"testing"
)

// TestChunkWriterCutsWritesIntoChunksItNeverReuses: whatever the sizes of
// the writes, the chunks are Size bytes but the last, hold what was
// written in order, and still hold it after later writes (a sent message
// may be read after Send returns).
func TestChunkWriterCutsWritesIntoChunksItNeverReuses(t *testing.T) {
	for _, c := range []struct {
		name   string
		writes []int
		chunks []int
	}{
		{"nothing written sends nothing", nil, nil},
		{"less than a chunk is sent on Flush", []int{3}, []int{3}},
		{"exactly a chunk", []int{4}, []int{4}},
		{"a write across chunks", []int{10}, []int{4, 4, 2}},
		{"small writes fill chunks", []int{1, 2, 3, 1, 2}, []int{4, 4, 1}},
		{"empty writes change nothing", []int{0, 4, 0}, []int{4}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var sent [][]byte
			var wire []byte
			w := &ChunkWriter{Size: 4, Send: func(b []byte) error {
				sent = append(sent, b)
				wire = append(wire, b...)
				return nil
			}}
			var all []byte
			next := byte(0)
			for _, n := range c.writes {
				p := make([]byte, n)
				for i := range p {
					p[i], next = next, next+1
				}
				all = append(all, p...)
				if got, err := w.Write(p); got != n || err != nil {
					t.Fatalf("Write(%d bytes) = %d, %v", n, got, err)
				}
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			var sizes []int
			var kept []byte
			for _, b := range sent {
				sizes = append(sizes, len(b))
				kept = append(kept, b...)
			}
			if !slices.Equal(sizes, c.chunks) {
				t.Fatalf("chunks of %v bytes, want %v", sizes, c.chunks)
			}
			if !bytes.Equal(wire, all) || !bytes.Equal(kept, all) {
				t.Fatalf("sent %v, kept %v, want %v", wire, kept, all)
			}
		})
	}
}

// A failed Send stops the write and says how much of it was taken.
func TestChunkWriterStopsAtAFailedSend(t *testing.T) {
	stop := errors.New("client gone")
	w := &ChunkWriter{Size: 4, Send: func([]byte) error { return stop }}
	if n, err := w.Write(make([]byte, 10)); n != 4 || !errors.Is(err, stop) {
		t.Fatalf("Write = %d, %v; want 4, %v", n, err, stop)
	}
}

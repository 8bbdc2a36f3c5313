package grpcx

// ChunkWriter is an io.Writer that cuts what is written into chunks of
// Size bytes, for a server stream that sends a file in messages: each full
// chunk goes to Send as it fills, and Flush sends the rest.
//
// A chunk handed to Send is never written again, so Send may put it in a
// message as it is: gRPC lets a sent message be read after Send returns
// (stats handlers may read it lazily), and so it must not change then.
type ChunkWriter struct {
	Size int
	Send func(chunk []byte) error
	buf  []byte
}

func (w *ChunkWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		if w.buf == nil {
			w.buf = make([]byte, 0, w.Size)
		}
		k := min(len(p), w.Size-len(w.buf))
		w.buf = append(w.buf, p[:k]...)
		p = p[k:]
		if len(w.buf) == w.Size {
			if err := w.Flush(); err != nil {
				return n - len(p), err
			}
		}
	}
	return n, nil
}

// Flush sends what is written and not yet sent, if anything.
func (w *ChunkWriter) Flush() error {
	if len(w.buf) == 0 {
		return nil
	}
	chunk := w.buf
	w.buf = nil
	return w.Send(chunk)
}

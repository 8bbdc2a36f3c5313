package grpcx

// ChunkWriter is an io.Writer that cuts what is written into the messages
// of a server stream: each full chunk of Size bytes goes to Send as it
// fills, and Flush sends the rest. Send keeps the slice it is given (a
// sent message may still be read, by stats handlers for one), so every
// chunk has a buffer of its own.
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

// Flush sends what is buffered, if anything.
func (w *ChunkWriter) Flush() error {
	if len(w.buf) == 0 {
		return nil
	}
	chunk := w.buf
	w.buf = nil
	return w.Send(chunk)
}

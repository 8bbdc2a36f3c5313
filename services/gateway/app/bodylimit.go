package app

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/cqlive/alliance/services/kit/fault"
	"google.golang.org/grpc/codes"
)

func writeTooLarge(w http.ResponseWriter, r *http.Request, max int64) {
	// Tell the client and net/http to close: the rest of the body is not read.
	w.Header().Set("Connection", "close")
	writeStatus(w, http.StatusRequestEntityTooLarge, errorStatus(codes.InvalidArgument, fault.ReasonRequestBodyTooLarge,
		"the request body is larger than "+strconv.FormatInt(max, 10)+" bytes",
		map[string]string{"max_body_bytes": strconv.FormatInt(max, 10)}))
	stopReading(w, r)
}

// stopReading ends the reading of a request the gateway has answered
// without its body: net/http would otherwise drain up to 256 KiB of it
// after the handler, to reuse the connection, for as long as the client
// takes. A read deadline that has passed makes it give up at once. Only
// for a request with a body whose connection closes after the answer: on
// a kept-alive HTTP/1 connection without a body the deadline would cut
// the connection's next request instead. HTTP/2 needs none of it: it
// resets the stream of an unread body, and a deadline there could reset
// the stream before the answer is out.
func stopReading(w http.ResponseWriter, r *http.Request) {
	if r.ProtoMajor == 1 {
		_ = http.NewResponseController(w).SetReadDeadline(time.Now())
	}
}

type bodyLimitKey struct{}

func writeReadTimeout(w http.ResponseWriter, r *http.Request, d time.Duration) {
	closeAfter(w, r)
	writeStatus(w, http.StatusRequestTimeout, errorStatus(codes.DeadlineExceeded, fault.ReasonRequestReadTimeout,
		"the request did not arrive within "+d.String()+"; send it faster or in smaller parts",
		map[string]string{"read_timeout": d.String()}))
}

// bodyLimit remembers that a request's body ran past the cap, or past the
// read deadline, so the error handler can answer 413 or 408 even though
// the decoder only saw a read error.
type bodyLimit struct {
	max      int64
	hit      atomic.Bool
	timedOut atomic.Bool
}

type limitedBody struct {
	io.ReadCloser
	lim *bodyLimit
}

func (b *limitedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		b.lim.hit.Store(true)
	case errors.Is(err, os.ErrDeadlineExceeded):
		b.lim.timedOut.Store(true)
	}
	return n, err
}

// withBodyLimit caps request bodies at max bytes. A declared length over
// the cap is refused before anything is read; an undeclared (chunked) one
// is cut off by http.MaxBytesReader as it streams, so memory stays bounded
// either way: the JSON decoder never sees more than max bytes.
func withBodyLimit(max int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > max {
			writeTooLarge(w, r, max)
			return
		}
		if r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		lim := &bodyLimit{max: max}
		r = r.WithContext(context.WithValue(r.Context(), bodyLimitKey{}, lim))
		r.Body = &limitedBody{ReadCloser: http.MaxBytesReader(w, r.Body, max), lim: lim}
		next.ServeHTTP(w, r)
	})
}

// closeAfter closes an HTTP/1 connection after this answer, so the rest of
// the request is never read. HTTP/2 resets just the stream on its own; a
// Connection header there would end the client's other streams too.
func closeAfter(w http.ResponseWriter, r *http.Request) {
	if r.ProtoMajor == 1 {
		w.Header().Set("Connection", "close")
	}
}

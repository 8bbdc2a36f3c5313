package replay

import (
	"fmt"

	"google.golang.org/grpc"
)

// importAnswer is what an Import* stream answers: how many lines it
// refused, and why (each service has its own ImportError message).
type importAnswer[E importError] interface {
	GetRejected() int64
	GetErrors() []E
}

type importError interface {
	GetIndex() int64
	GetReason() string
	GetMessage() string
}

// answerOf is the pointer type of an Import* response message.
type answerOf[Resp any, E importError] interface {
	*Resp
	importAnswer[E]
}

// newImportStream is an importStream of the RPC open starts; E, the
// service's ImportError, is the one type argument to give.
func newImportStream[E importError, Req, Resp any, A answerOf[Resp, E]](what string, per int, open func() (grpc.ClientStreamingClient[Req, Resp], error)) *importStream[Req, Resp, A, E] {
	return &importStream[Req, Resp, A, E]{what: what, per: per, open: open}
}

// importStream sends requests over client streams of at most per requests
// each, opening the next one on the first send after a stream is full. A
// stream that refuses a line ends the load: the replay's data is meant to
// be accepted whole.
type importStream[Req, Resp any, A answerOf[Resp, E], E importError] struct {
	what   string // the RPC, for errors: "import sessions"
	per    int
	open   func() (grpc.ClientStreamingClient[Req, Resp], error)
	stream grpc.ClientStreamingClient[Req, Resp]
	sent   int
}

func (s *importStream[Req, Resp, A, E]) send(r *Req) error {
	if s.stream == nil {
		var err error
		if s.stream, err = s.open(); err != nil {
			return err
		}
	}
	if err := s.stream.Send(r); err != nil {
		return fmt.Errorf("%s: %w", s.what, err)
	}
	if s.sent++; s.sent%s.per == 0 {
		return s.close()
	}
	return nil
}

// close ends the open stream, if any, and checks its answer.
func (s *importStream[Req, Resp, A, E]) close() error {
	if s.stream == nil {
		return nil
	}
	r, err := s.stream.CloseAndRecv()
	s.stream = nil
	if err != nil {
		return fmt.Errorf("%s: %w", s.what, err)
	}
	if resp := A(r); resp.GetRejected() > 0 {
		e := resp.GetErrors()[0]
		return fmt.Errorf("%s: %d rejected, the first at line %d: %s %s", s.what, resp.GetRejected(), e.GetIndex(), e.GetReason(), e.GetMessage())
	}
	return nil
}

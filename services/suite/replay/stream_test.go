package replay

import (
	"strings"
	"testing"

	sessionv1 "github.com/cqlive/alliance/gen/pb/alliance/session/v1"
	"google.golang.org/grpc"
)

// recorder is one client stream that keeps what it was sent and answers
// with the rejections it is given.
type recorder struct {
	grpc.ClientStream // unused: Send and CloseAndRecv are the stream's whole use here
	sent              []*sessionv1.ImportSessionsRequest
	answer            *sessionv1.ImportSessionsResponse
}

func (r *recorder) Send(m *sessionv1.ImportSessionsRequest) error {
	r.sent = append(r.sent, m)
	return nil
}
func (r *recorder) CloseAndRecv() (*sessionv1.ImportSessionsResponse, error) {
	return r.answer, nil
}

func TestAnImportStreamCarriesAtMostItsShare(t *testing.T) {
	var streams []*recorder
	s := newImportStream[*sessionv1.ImportError]("import sessions", 3, func() (sessionv1.SessionScheduler_ImportSessionsClient, error) {
		streams = append(streams, &recorder{answer: &sessionv1.ImportSessionsResponse{}})
		return streams[len(streams)-1], nil
	})
	for i := range 7 {
		if err := s.send(&sessionv1.ImportSessionsRequest{SessionId: string(rune('a' + i))}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.close(); err != nil {
		t.Fatal(err)
	}
	var sizes []int
	for _, r := range streams {
		sizes = append(sizes, len(r.sent))
	}
	if len(sizes) != 3 || sizes[0] != 3 || sizes[1] != 3 || sizes[2] != 1 {
		t.Fatalf("streams of %v; want [3 3 1]", sizes)
	}
	if err := s.close(); err != nil || len(streams) != 3 {
		t.Fatalf("a second close: %v, %d streams; want nothing opened", err, len(streams))
	}
}

func TestARejectedLineEndsTheImport(t *testing.T) {
	s := newImportStream[*sessionv1.ImportError]("import sessions", 10, func() (sessionv1.SessionScheduler_ImportSessionsClient, error) {
		return &recorder{answer: &sessionv1.ImportSessionsResponse{Rejected: 2, Errors: []*sessionv1.ImportError{
			{Index: 4, Reason: "STUDIO_DOUBLE_BOOKED", Message: "taken"}}}}, nil
	})
	if err := s.send(&sessionv1.ImportSessionsRequest{SessionId: "a"}); err != nil {
		t.Fatal(err)
	}
	err := s.close()
	if err == nil || !strings.Contains(err.Error(), "import sessions: 2 rejected, the first at line 4: STUDIO_DOUBLE_BOOKED taken") {
		t.Fatalf("err %v", err)
	}
}

package app_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	sessionv1 "github.com/cqlive/alliance/gen/pb/alliance/session/v1"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"google.golang.org/protobuf/proto"
)

// TestImportAnswerFitsTheDefaultReceiveLimit: 6,000 rejected lines whose
// messages are a kilobyte each would make a 6 MB answer; the client here
// keeps gRPC's default 4 MiB receive limit (testkit.Dial sets none). The
// counts stay exact, the errors are the first ones in stream order, up to
// 1 MiB, and errors_truncated says that more were left out.
func TestImportAnswerFitsTheDefaultReceiveLimit(t *testing.T) {
	w := newWorld(t)
	const bad = 6000
	long := "members/" + strings.Repeat("x", 1000) // not a member name; the error quotes it
	good := map[int]bool{0: true, 2500: true, bad + 4: true}
	var lines []*sessionv1.ImportSessionsRequest
	for i := range bad + 5 {
		if good[i] {
			from := -30*day + i/10 // a minute apart per 10 lines: distinct, past slots
			lines = append(lines, ended(fmt.Sprintf("good-%d", i), "host-a", x1, from, from+60))
			continue
		}
		lines = append(lines, edit(ended(fmt.Sprintf("bad-%d", i), "host-a", x1, -60, 0), func(s *sessionv1.Session) { s.Host = long }))
	}
	resp, err := importStream(context.Background(), w.api, lines...)
	if err != nil {
		t.Fatalf("the answer could not be read: %v", err)
	}
	if resp.GetAccepted() != int64(len(good)) || resp.GetRejected() != int64(len(lines)-len(good)) || resp.GetDuplicates() != 0 {
		t.Fatalf("counts accepted %d rejected %d duplicates %d; want %d, %d, 0", resp.GetAccepted(), resp.GetRejected(), resp.GetDuplicates(), len(good), len(lines)-len(good))
	}
	if !resp.GetErrorsTruncated() {
		t.Fatal("errors_truncated is false with errors left out")
	}
	var size int
	for i, e := range resp.GetErrors() {
		size += proto.Size(e)
		if want := int64(i + 1); e.GetIndex() != want { // line 0 is good: the errors are lines 1, 2, 3, ...
			t.Fatalf("error %d is of line %d, want %d: the first errors in stream order", i, e.GetIndex(), want)
		}
	}
	if n := len(resp.GetErrors()); n == 0 || n >= grpcx.MaxAnswerErrors || size > grpcx.MaxAnswerErrorBytes {
		t.Fatalf("%d errors of %d bytes; want some, fewer than %d, within %d bytes", n, size, grpcx.MaxAnswerErrors, grpcx.MaxAnswerErrorBytes)
	}
	t.Logf("answer: %d bytes, %d of %d errors listed", proto.Size(resp), len(resp.GetErrors()), resp.GetRejected())

	t.Run("an answer within the bounds lists every error and is not truncated", func(t *testing.T) {
		resp := w.mustImport(lines[1:4]...)
		if resp.GetRejected() != 3 || len(resp.GetErrors()) != 3 || resp.GetErrorsTruncated() {
			t.Fatalf("rejected %d, %d errors, truncated %v; want 3, 3, false", resp.GetRejected(), len(resp.GetErrors()), resp.GetErrorsTruncated())
		}
	})
	t.Run("more than 1,000 short errors: the count bound", func(t *testing.T) {
		var short []*sessionv1.ImportSessionsRequest
		for i := range 1200 {
			short = append(short, ended(fmt.Sprintf("short-%d", i), "host-a", x1, -60, -55)) // too short a session
		}
		resp := w.mustImport(short...)
		if resp.GetRejected() != 1200 || len(resp.GetErrors()) != grpcx.MaxAnswerErrors || !resp.GetErrorsTruncated() {
			t.Fatalf("rejected %d, %d errors, truncated %v; want 1200, %d, true", resp.GetRejected(), len(resp.GetErrors()), resp.GetErrorsTruncated(), grpcx.MaxAnswerErrors)
		}
	})
}

package app

import (
	"testing"

	"google.golang.org/grpc/codes"
)

func TestUpperSnakeNamesCodesLikeGoogleRPC(t *testing.T) {
	for c, want := range map[codes.Code]string{
		codes.OK: "OK", codes.Unimplemented: "UNIMPLEMENTED",
		codes.FailedPrecondition: "FAILED_PRECONDITION", codes.DeadlineExceeded: "DEADLINE_EXCEEDED",
	} {
		if got := upperSnake(c); got != want {
			t.Errorf("upperSnake(%v) = %q, want %q", c, got, want)
		}
	}
}

package rpc

import (
	"context"
	"encoding/binary"
	"slices"
	"testing"
	"time"

	sessionv1 "github.com/cqlive/alliance/gen/pb/alliance/session/v1"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"github.com/cqlive/alliance/services/kit/page"
	"github.com/cqlive/alliance/services/session-scheduling/internal/scheduling"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TestPageTokensOfSchemaOneFailCleanly: a token minted before the cursor
// held a kit/timekey Key (8 bytes of Unix nanoseconds, the old query
// fingerprint), under the same secret, is INVALID_ARGUMENT on page_token,
// not a page read from a misparsed position.
func TestPageTokensOfSchemaOneFailCleanly(t *testing.T) {
	codec := page.NewCodec([]byte("0123456789abcdef0123456789abcdef"))
	srv := New(nil, codec) // the token is refused before the service is asked
	oldQuery := "sessions|||||0|0|0001-01-01T00:00:00Z|0001-01-01T00:00:00Z"
	start := time.Date(2030, 1, 7, 10, 0, 0, 0, time.UTC)
	oldCursor := append(binary.BigEndian.AppendUint64(nil, uint64(start.UnixNano())), "some-session-id"...)
	_, err := srv.ListSessions(context.Background(), &sessionv1.ListSessionsRequest{PageToken: codec.Encode(oldQuery, oldCursor)})
	if status.Code(err) != codes.InvalidArgument || !slices.Equal(grpcx.FieldViolations(err), []string{"page_token"}) {
		t.Fatalf("old token: %v, want INVALID_ARGUMENT on page_token", err)
	}
}

func TestCursorRoundTripAndCorruption(t *testing.T) {
	for _, c := range []scheduling.Cursor{
		{Start: time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC), ID: "a"},
		{Start: time.Date(2262, 4, 11, 23, 47, 16, 854775808, time.UTC), ID: "after-the-wrap"},
		{Start: time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC), ID: "z"},
	} {
		got, err := decodeCursor(encodeCursor(c))
		if err != nil || !got.Start.Equal(c.Start) || got.ID != c.ID {
			t.Errorf("round trip of %+v: %+v, %v", c, got, err)
		}
	}
	bad := encodeCursor(scheduling.Cursor{Start: time.Unix(0, 0), ID: "x"})
	bad[8] = 0xff // nanoseconds past 999,999,999
	for name, raw := range map[string][]byte{"short": bad[:5], "no id": bad[:12], "nanos out of range": bad} {
		if _, err := decodeCursor(raw); err == nil {
			t.Errorf("%s cursor decoded", name)
		}
	}
}

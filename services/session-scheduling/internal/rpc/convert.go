package rpc

import (
	"time"

	sessionv1 "github.com/cqlive/alliance/gen/pb/alliance/session/v1"
	typev1 "github.com/cqlive/alliance/gen/pb/alliance/type/v1"
	"github.com/cqlive/alliance/services/kit/fault"
	"github.com/cqlive/alliance/services/kit/ids"
	"github.com/cqlive/alliance/services/kit/timekey"
	"github.com/cqlive/alliance/services/session-scheduling/internal/scheduling"
	"google.golang.org/protobuf/types/known/timestamppb"
)

func stamp(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

// timeOf reads an optional timestamp; a malformed one is a violation of
// field. The domain takes the zero time.Time for "not given", but the
// zero time is also the first instant a Timestamp carries,
// 0001-01-01T00:00:00Z. No stored instant is the zero time (a session's
// start_time and actual_end_time are required, and bounded far above it),
// so that instant is read as one nanosecond later: as a filter bound it
// selects exactly the same sessions, and as a session's time it is
// refused by the same bounds, with the message of that bound rather than
// "is required".
func timeOf(v *fault.Invalid, field string, ts *timestamppb.Timestamp) time.Time {
	if ts == nil {
		return time.Time{}
	}
	if err := ts.CheckValid(); err != nil {
		v.Add(field, "is not a valid timestamp: %v", err)
		return time.Time{}
	}
	t := ts.AsTime()
	if t.IsZero() {
		return t.Add(time.Nanosecond)
	}
	return t
}

func sessionToProto(s *scheduling.Session) *sessionv1.Session {
	return &sessionv1.Session{
		Name:            s.Name(),
		Title:           s.Title,
		Host:            s.Host,
		Studio:          s.Studio,
		Merchants:       s.Merchants,
		Products:        s.Products,
		Platform:        typev1.Platform(s.Platform),
		PlatformRoomId:  s.PlatformRoomID,
		StartTime:       stamp(s.Start),
		EndTime:         stamp(s.End),
		State:           sessionv1.SessionState(s.State),
		ActualStartTime: stamp(s.ActualStart),
		ActualEndTime:   stamp(s.ActualEnd),
		CancelReason:    s.CancelReason,
		CreateTime:      stamp(s.CreateTime),
		UpdateTime:      stamp(s.UpdateTime),
		Etag:            ids.ETag(s.Revision),
	}
}

func sessionFromProto(p *sessionv1.Session) (scheduling.Session, error) {
	var v fault.Invalid
	s := scheduling.Session{
		Title:          p.GetTitle(),
		Host:           p.GetHost(),
		Studio:         p.GetStudio(),
		Merchants:      p.GetMerchants(),
		Products:       p.GetProducts(),
		Platform:       scheduling.Platform(p.GetPlatform()),
		PlatformRoomID: p.GetPlatformRoomId(),
		Start:          timeOf(&v, "session.start_time", p.GetStartTime()),
		End:            timeOf(&v, "session.end_time", p.GetEndTime()),
	}
	return s, v.Err()
}

// A page cursor is the start time (a kit/timekey Key) and the id of the
// last session of the page. Tokens of schema 1 held Unix nanoseconds; the
// query fingerprint changed with the encoding (see listQuery), so such a
// token fails its check as INVALID_ARGUMENT instead of being misread.
func encodeCursor(c scheduling.Cursor) []byte {
	return append(timekey.Key(c.Start), c.ID...)
}

func decodeCursor(raw []byte) (scheduling.Cursor, error) {
	if len(raw) == 0 {
		return scheduling.Cursor{}, nil
	}
	bad := fault.InvalidField("page_token", "is not a page token of this query; start again without one")
	if len(raw) <= timekey.Size {
		return scheduling.Cursor{}, bad
	}
	start, err := timekey.ParseKey(raw)
	if err != nil {
		return scheduling.Cursor{}, bad
	}
	return scheduling.Cursor{Start: start, ID: string(raw[timekey.Size:])}, nil
}

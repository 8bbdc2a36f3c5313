package rpc

import (
	sessionv1 "github.com/cqlive/alliance/gen/pb/alliance/session/v1"
	typev1 "github.com/cqlive/alliance/gen/pb/alliance/type/v1"
	"github.com/cqlive/alliance/services/kit/etag"
	"github.com/cqlive/alliance/services/kit/fault"
	"github.com/cqlive/alliance/services/kit/protoconv"
	"github.com/cqlive/alliance/services/kit/timekey"
	"github.com/cqlive/alliance/services/session-scheduling/internal/scheduling"
)

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
		StartTime:       protoconv.Timestamp(s.Start),
		EndTime:         protoconv.Timestamp(s.End),
		State:           sessionv1.SessionState(s.State),
		ActualStartTime: protoconv.Timestamp(s.ActualStart),
		ActualEndTime:   protoconv.Timestamp(s.ActualEnd),
		CancelReason:    s.CancelReason,
		CreateTime:      protoconv.Timestamp(s.CreateTime),
		UpdateTime:      protoconv.Timestamp(s.UpdateTime),
		Etag:            etag.Of(s.Revision),
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
		Start:          protoconv.Time(&v, "session.start_time", p.GetStartTime()),
		End:            protoconv.Time(&v, "session.end_time", p.GetEndTime()),
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

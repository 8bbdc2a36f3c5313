package rpc

import (
	"encoding/binary"
	"time"

	sessionv1 "github.com/cqlive/alliance/gen/pb/alliance/session/v1"
	typev1 "github.com/cqlive/alliance/gen/pb/alliance/type/v1"
	"github.com/cqlive/alliance/services/kit/fault"
	"github.com/cqlive/alliance/services/kit/ids"
	"github.com/cqlive/alliance/services/session-scheduling/internal/scheduling"
	"google.golang.org/protobuf/types/known/timestamppb"
)

func stamp(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

// timeOf reads an optional timestamp; a malformed one is a violation of field.
func timeOf(v *fault.Invalid, field string, ts *timestamppb.Timestamp) time.Time {
	if ts == nil {
		return time.Time{}
	}
	if err := ts.CheckValid(); err != nil {
		v.Add(field, "is not a valid timestamp: %v", err)
		return time.Time{}
	}
	return ts.AsTime()
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

// A page cursor is the start time (Unix nanoseconds) and the id of the
// last session of the page.
func encodeCursor(c scheduling.Cursor) []byte {
	return append(binary.BigEndian.AppendUint64(nil, uint64(c.Start.UnixNano())), c.ID...)
}

func decodeCursor(raw []byte) (scheduling.Cursor, error) {
	if len(raw) == 0 {
		return scheduling.Cursor{}, nil
	}
	if len(raw) < 9 {
		return scheduling.Cursor{}, fault.InvalidField("page_token", "is not a page token of this query; start again without one")
	}
	return scheduling.Cursor{
		Start: time.Unix(0, int64(binary.BigEndian.Uint64(raw[:8]))).UTC(),
		ID:    string(raw[8:]),
	}, nil
}

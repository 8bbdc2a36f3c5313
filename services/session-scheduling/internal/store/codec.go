package store

import (
	"fmt"
	"time"

	storev1 "github.com/cqlive/alliance/gen/pb/alliance/session/store/v1"
	"github.com/cqlive/alliance/services/session-scheduling/internal/scheduling"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// The store alone turns domain values into records and back: the domain
// structs carry no persistence tags, and no API message is stored.

func stamp(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

func timeOf(ts *timestamppb.Timestamp) time.Time {
	if ts == nil {
		return time.Time{}
	}
	return ts.AsTime()
}

func sessionRecord(s *scheduling.Session) *storev1.Session {
	return &storev1.Session{
		Title:           s.Title,
		Host:            s.Host,
		Studio:          s.Studio,
		Merchants:       s.Merchants,
		Products:        s.Products,
		Platform:        int32(s.Platform),
		PlatformRoomId:  s.PlatformRoomID,
		StartTime:       stamp(s.Start),
		EndTime:         stamp(s.End),
		State:           int32(s.State),
		ActualStartTime: stamp(s.ActualStart),
		ActualEndTime:   stamp(s.ActualEnd),
		CancelReason:    s.CancelReason,
		DeclineReason:   s.DeclineReason,
		Agency:          s.Agency,
		Series:          s.Series,
		CreateTime:      stamp(s.CreateTime),
		UpdateTime:      stamp(s.UpdateTime),
		Revision:        s.Revision,
	}
}

func sessionOf(id string, r *storev1.Session) *scheduling.Session {
	return &scheduling.Session{
		ID:             id,
		Title:          r.GetTitle(),
		Host:           r.GetHost(),
		Studio:         r.GetStudio(),
		Merchants:      r.GetMerchants(),
		Products:       r.GetProducts(),
		Platform:       scheduling.Platform(r.GetPlatform()),
		PlatformRoomID: r.GetPlatformRoomId(),
		Start:          timeOf(r.GetStartTime()),
		End:            timeOf(r.GetEndTime()),
		State:          scheduling.State(r.GetState()),
		ActualStart:    timeOf(r.GetActualStartTime()),
		ActualEnd:      timeOf(r.GetActualEndTime()),
		CancelReason:   r.GetCancelReason(),
		DeclineReason:  r.GetDeclineReason(),
		Agency:         r.GetAgency(),
		Series:         r.GetSeries(),
		CreateTime:     timeOf(r.GetCreateTime()),
		UpdateTime:     timeOf(r.GetUpdateTime()),
		Revision:       r.GetRevision(),
	}
}

func encodeSession(s *scheduling.Session) ([]byte, error) { return proto.Marshal(sessionRecord(s)) }

func decodeSession(id string, raw []byte) (*scheduling.Session, error) {
	r := new(storev1.Session)
	if err := proto.Unmarshal(raw, r); err != nil {
		return nil, fmt.Errorf("session %q: %w", id, err)
	}
	return sessionOf(id, r), nil
}

func duration(d time.Duration) *durationpb.Duration {
	if d == 0 {
		return nil
	}
	return durationpb.New(d)
}

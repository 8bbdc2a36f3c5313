package store

import (
	"fmt"
	"time"

	storev1 "github.com/cqlive/alliance/gen/pb/alliance/session/store/v1"
	"github.com/cqlive/alliance/services/kit/protoconv"
	"github.com/cqlive/alliance/services/session-scheduling/internal/scheduling"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
)

// The store alone turns domain values into records and back: the domain
// structs carry no persistence tags, and no API message is stored.

func sessionRecord(s *scheduling.Session) *storev1.Session {
	return &storev1.Session{
		Title:           s.Title,
		Host:            s.Host,
		Studio:          s.Studio,
		Merchants:       s.Merchants,
		Products:        s.Products,
		Platform:        int32(s.Platform),
		PlatformRoomId:  s.PlatformRoomID,
		StartTime:       protoconv.Timestamp(s.Start),
		EndTime:         protoconv.Timestamp(s.End),
		State:           int32(s.State),
		ActualStartTime: protoconv.Timestamp(s.ActualStart),
		ActualEndTime:   protoconv.Timestamp(s.ActualEnd),
		CancelReason:    s.CancelReason,
		DeclineReason:   s.DeclineReason,
		Agency:          s.Agency,
		Series:          s.Series,
		AskedTime:       protoconv.Timestamp(s.Asked),
		CreateTime:      protoconv.Timestamp(s.CreateTime),
		UpdateTime:      protoconv.Timestamp(s.UpdateTime),
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
		Start:          protoconv.RecordTime(r.GetStartTime()),
		End:            protoconv.RecordTime(r.GetEndTime()),
		State:          scheduling.State(r.GetState()),
		ActualStart:    protoconv.RecordTime(r.GetActualStartTime()),
		ActualEnd:      protoconv.RecordTime(r.GetActualEndTime()),
		CancelReason:   r.GetCancelReason(),
		DeclineReason:  r.GetDeclineReason(),
		Agency:         r.GetAgency(),
		Series:         r.GetSeries(),
		Asked:          protoconv.RecordTime(r.GetAskedTime()),
		CreateTime:     protoconv.RecordTime(r.GetCreateTime()),
		UpdateTime:     protoconv.RecordTime(r.GetUpdateTime()),
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

// Days are stored as the API numbers them: Monday 1 ... Sunday 7.
func dayNumber(d time.Weekday) int32 {
	if d == time.Sunday {
		return 7
	}
	return int32(d)
}

func weekday(n int32) time.Weekday { return time.Weekday(n % 7) }

func policyRecord(p *scheduling.Policy) *storev1.StudioPolicy {
	r := &storev1.StudioPolicy{
		MinNotice:           duration(p.MinNotice),
		MaxAdvance:          duration(p.MaxAdvance),
		HostWeeklyHours:     int32(p.HostWeeklyHours),
		AgencyDailySessions: int32(p.AgencyDailySessions),
		RequiresApproval:    p.RequiresApproval,
		NoShowGrace:         duration(p.NoShowGrace),
		UpdateTime:          protoconv.Timestamp(p.UpdateTime),
		Revision:            p.Revision,
	}
	if p.Buffer != nil {
		r.ChangeoverBuffer = durationpb.New(*p.Buffer) // present even when 0: back to back
	}
	for _, o := range p.OpeningHours {
		r.OpeningHours = append(r.OpeningHours, &storev1.OpeningHours{DayOfWeek: dayNumber(o.Day), OpenMinute: int32(o.Open), CloseMinute: int32(o.Close)})
	}
	for _, b := range p.Blackouts {
		r.Blackouts = append(r.Blackouts, &storev1.Blackout{StartTime: protoconv.Timestamp(b.Start), EndTime: protoconv.Timestamp(b.End), Reason: b.Reason})
	}
	return r
}

func decodePolicy(studio string, raw []byte) (*scheduling.Policy, error) {
	r := new(storev1.StudioPolicy)
	if err := proto.Unmarshal(raw, r); err != nil {
		return nil, fmt.Errorf("policy of %q: %w", studio, err)
	}
	p := &scheduling.Policy{
		Studio:              studio,
		MinNotice:           r.GetMinNotice().AsDuration(),
		MaxAdvance:          r.GetMaxAdvance().AsDuration(),
		HostWeeklyHours:     int(r.GetHostWeeklyHours()),
		AgencyDailySessions: int(r.GetAgencyDailySessions()),
		RequiresApproval:    r.GetRequiresApproval(),
		NoShowGrace:         r.GetNoShowGrace().AsDuration(),
		UpdateTime:          protoconv.RecordTime(r.GetUpdateTime()),
		Revision:            r.GetRevision(),
	}
	if r.ChangeoverBuffer != nil {
		b := r.GetChangeoverBuffer().AsDuration()
		p.Buffer = &b
	}
	for _, o := range r.GetOpeningHours() {
		p.OpeningHours = append(p.OpeningHours, scheduling.OpeningHours{Day: weekday(o.GetDayOfWeek()), Open: int(o.GetOpenMinute()), Close: int(o.GetCloseMinute())})
	}
	for _, b := range r.GetBlackouts() {
		p.Blackouts = append(p.Blackouts, scheduling.Blackout{Start: protoconv.RecordTime(b.GetStartTime()), End: protoconv.RecordTime(b.GetEndTime()), Reason: b.GetReason()})
	}
	return p, nil
}

func seriesRecord(s *scheduling.Series) *storev1.Series {
	rec := s.Recurrence
	r := &storev1.Series{
		Template: sessionRecord(&s.Template),
		Recurrence: &storev1.Recurrence{Frequency: int32(rec.Frequency), Interval: int32(rec.Interval),
			Count: int32(rec.Count), UntilDate: rec.UntilDate},
		SessionIds:   s.SessionIDs,
		CreateTime:   protoconv.Timestamp(s.CreateTime),
		CancelReason: s.CancelReason,
	}
	for _, d := range rec.Days {
		r.Recurrence.DaysOfWeek = append(r.Recurrence.DaysOfWeek, dayNumber(d))
	}
	for _, k := range s.Skipped {
		r.Skipped = append(r.Skipped, &storev1.Skipped{StartTime: protoconv.Timestamp(k.Start), Code: k.Code, Reason: k.Reason, Message: k.Message})
	}
	return r
}

func decodeSeries(id string, raw []byte) (*scheduling.Series, error) {
	r := new(storev1.Series)
	if err := proto.Unmarshal(raw, r); err != nil {
		return nil, fmt.Errorf("series %q: %w", id, err)
	}
	rec := r.GetRecurrence()
	s := &scheduling.Series{
		ID:       id,
		Template: *sessionOf("", r.GetTemplate()),
		Recurrence: scheduling.Recurrence{Frequency: scheduling.Frequency(rec.GetFrequency()), Interval: int(rec.GetInterval()),
			Count: int(rec.GetCount()), UntilDate: rec.GetUntilDate()},
		SessionIDs:   r.GetSessionIds(),
		CreateTime:   protoconv.RecordTime(r.GetCreateTime()),
		CancelReason: r.GetCancelReason(),
	}
	for _, d := range rec.GetDaysOfWeek() {
		s.Recurrence.Days = append(s.Recurrence.Days, weekday(d))
	}
	for _, k := range r.GetSkipped() {
		s.Skipped = append(s.Skipped, scheduling.Skipped{Start: protoconv.RecordTime(k.GetStartTime()), Code: k.GetCode(), Reason: k.GetReason(), Message: k.GetMessage()})
	}
	return s, nil
}

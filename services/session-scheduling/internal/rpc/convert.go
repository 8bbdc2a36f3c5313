package rpc

import (
	"fmt"
	"strconv"
	"time"

	sessionv1 "github.com/cqlive/alliance/gen/pb/alliance/session/v1"
	typev1 "github.com/cqlive/alliance/gen/pb/alliance/type/v1"
	"github.com/cqlive/alliance/services/kit/etag"
	"github.com/cqlive/alliance/services/kit/fault"
	"github.com/cqlive/alliance/services/kit/protoconv"
	"github.com/cqlive/alliance/services/kit/timekey"
	"github.com/cqlive/alliance/services/session-scheduling/internal/scheduling"
	"google.golang.org/protobuf/types/known/durationpb"
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
		DeclineReason:   s.DeclineReason,
		Series:          seriesName(s.Series),
	}
}

func seriesName(id string) string {
	if id == "" {
		return ""
	}
	return scheduling.SeriesName(id)
}

func sessionsToProto(list []*scheduling.Session) []*sessionv1.Session {
	return protoconv.List(list, sessionToProto)
}

func slotToProto(sl scheduling.Slot) *sessionv1.Slot {
	return &sessionv1.Slot{Studio: sl.Studio, StartTime: protoconv.Timestamp(sl.Start), EndTime: protoconv.Timestamp(sl.End)}
}

func sessionFromProto(p *sessionv1.Session) (scheduling.Session, error) {
	return sessionFrom(p, "session")
}

// sessionFrom reads the bookable fields of a session; field names its
// place in the request (session, series.template).
func sessionFrom(p *sessionv1.Session, field string) (scheduling.Session, error) {
	var v fault.Invalid
	s := scheduling.Session{
		Title:          p.GetTitle(),
		Host:           p.GetHost(),
		Studio:         p.GetStudio(),
		Merchants:      p.GetMerchants(),
		Products:       p.GetProducts(),
		Platform:       scheduling.Platform(p.GetPlatform()),
		PlatformRoomID: p.GetPlatformRoomId(),
		Start:          protoconv.Time(&v, field+".start_time", p.GetStartTime()),
		End:            protoconv.Time(&v, field+".end_time", p.GetEndTime()),
	}
	return s, v.Err()
}

// Days of the week: the API numbers them Monday 1 ... Sunday 7
// (google.type.DayOfWeek), Go's time.Weekday Sunday 0 ... Saturday 6.
func weekdayOf(d sessionv1.DayOfWeek) (time.Weekday, bool) {
	if d < sessionv1.DayOfWeek_DAY_OF_WEEK_MONDAY || d > sessionv1.DayOfWeek_DAY_OF_WEEK_SUNDAY {
		return 0, false
	}
	return time.Weekday(int(d) % 7), true
}

func dayOfWeek(d time.Weekday) sessionv1.DayOfWeek {
	if d == time.Sunday {
		return sessionv1.DayOfWeek_DAY_OF_WEEK_SUNDAY
	}
	return sessionv1.DayOfWeek(d)
}

// clockMinute reads "HH:MM" as minutes after midnight; "24:00" is 1440.
func clockMinute(s string) (int, bool) {
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	h, err1 := strconv.Atoi(s[:2])
	m, err2 := strconv.Atoi(s[3:])
	if err1 != nil || err2 != nil || h < 0 || m < 0 || m > 59 || h > 24 || h == 24 && m != 0 {
		return 0, false
	}
	return h*60 + m, true
}

func clockOf(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

func policyToProto(p *scheduling.Policy) *sessionv1.StudioPolicy {
	out := &sessionv1.StudioPolicy{
		Name:                scheduling.PolicyName(p.Studio),
		MinNotice:           optionalDuration(p.MinNotice),
		MaxAdvance:          optionalDuration(p.MaxAdvance),
		HostWeeklyHours:     int32(p.HostWeeklyHours),
		AgencyDailySessions: int32(p.AgencyDailySessions),
		RequiresApproval:    p.RequiresApproval,
		NoShowGrace:         optionalDuration(p.NoShowGrace),
		UpdateTime:          protoconv.Timestamp(p.UpdateTime),
		Etag:                etag.Of(p.Revision),
	}
	if p.Buffer != nil {
		out.ChangeoverBuffer = durationpb.New(*p.Buffer)
	}
	for _, o := range p.OpeningHours {
		out.OpeningHours = append(out.OpeningHours, &sessionv1.OpeningHours{DayOfWeek: dayOfWeek(o.Day), OpenTime: clockOf(o.Open), CloseTime: clockOf(o.Close)})
	}
	for _, b := range p.Blackouts {
		out.Blackouts = append(out.Blackouts, &sessionv1.Blackout{StartTime: protoconv.Timestamp(b.Start), EndTime: protoconv.Timestamp(b.End), Reason: b.Reason})
	}
	return out
}

func optionalDuration(d time.Duration) *durationpb.Duration {
	if d == 0 {
		return nil
	}
	return durationpb.New(d)
}

func policyFromProto(p *sessionv1.StudioPolicy, studio string) (scheduling.Policy, error) {
	var v fault.Invalid
	out := scheduling.Policy{
		Studio:              studio,
		MinNotice:           protoconv.Duration(&v, "policy.min_notice", p.GetMinNotice()),
		MaxAdvance:          protoconv.Duration(&v, "policy.max_advance", p.GetMaxAdvance()),
		HostWeeklyHours:     int(p.GetHostWeeklyHours()),
		AgencyDailySessions: int(p.GetAgencyDailySessions()),
		RequiresApproval:    p.GetRequiresApproval(),
		NoShowGrace:         protoconv.Duration(&v, "policy.no_show_grace", p.GetNoShowGrace()),
	}
	if p.GetChangeoverBuffer() != nil {
		b := protoconv.Duration(&v, "policy.changeover_buffer", p.GetChangeoverBuffer())
		out.Buffer = &b
	}
	for i, o := range p.GetOpeningHours() {
		field := fmt.Sprintf("policy.opening_hours[%d]", i)
		day, ok := weekdayOf(o.GetDayOfWeek())
		if !ok {
			v.Add(field+".day_of_week", "must be a day of the week, MONDAY to SUNDAY")
		}
		open, ok1 := clockMinute(o.GetOpenTime())
		if !ok1 {
			v.Add(field+".open_time", "must be a time of day HH:MM, got %q", o.GetOpenTime())
		}
		closing, ok2 := clockMinute(o.GetCloseTime())
		if !ok2 {
			v.Add(field+".close_time", "must be a time of day HH:MM (24:00 is the end of the day), got %q", o.GetCloseTime())
		}
		out.OpeningHours = append(out.OpeningHours, scheduling.OpeningHours{Day: day, Open: open, Close: closing})
	}
	for i, b := range p.GetBlackouts() {
		field := fmt.Sprintf("policy.blackouts[%d]", i)
		out.Blackouts = append(out.Blackouts, scheduling.Blackout{
			Start:  protoconv.Time(&v, field+".start_time", b.GetStartTime()),
			End:    protoconv.Time(&v, field+".end_time", b.GetEndTime()),
			Reason: b.GetReason(),
		})
	}
	return out, v.Err()
}

func seriesToProto(s *scheduling.Series) *sessionv1.SessionSeries {
	t := sessionToProto(&s.Template)
	t.Name, t.State, t.Etag, t.CreateTime, t.UpdateTime, t.Series = "", 0, "", nil, nil, ""
	rec := s.Recurrence
	out := &sessionv1.SessionSeries{
		Name:     s.Name(),
		Template: t,
		Recurrence: &sessionv1.Recurrence{Frequency: sessionv1.Frequency(rec.Frequency), Interval: int32(rec.Interval),
			Count: int32(rec.Count), UntilDate: rec.UntilDate},
		CreateTime:   protoconv.Timestamp(s.CreateTime),
		CancelReason: s.CancelReason,
	}
	for _, d := range rec.Days {
		out.Recurrence.DaysOfWeek = append(out.Recurrence.DaysOfWeek, dayOfWeek(d))
	}
	for _, id := range s.SessionIDs {
		out.Sessions = append(out.Sessions, scheduling.SessionName(id))
	}
	return out
}

func seriesFromProto(p *sessionv1.SessionSeries) (scheduling.Series, error) {
	var v fault.Invalid
	if p.GetTemplate() == nil {
		v.Add("series.template", "is required")
	}
	t, err := sessionFrom(p.GetTemplate(), "series.template")
	if f, ok := fault.As(err); ok {
		for _, fv := range f.Violations {
			v.Add(fv.Field, "%s", fv.Description)
		}
	}
	rec := p.GetRecurrence()
	out := scheduling.Series{Template: t, Recurrence: scheduling.Recurrence{
		Frequency: scheduling.Frequency(rec.GetFrequency()), Interval: int(rec.GetInterval()),
		Count: int(rec.GetCount()), UntilDate: rec.GetUntilDate(),
	}}
	for i, d := range rec.GetDaysOfWeek() {
		day, ok := weekdayOf(d)
		if !ok {
			v.Add(fmt.Sprintf("series.recurrence.days_of_week[%d]", i), "must be a day of the week, MONDAY to SUNDAY")
		}
		out.Recurrence.Days = append(out.Recurrence.Days, day)
	}
	return out, v.Err()
}

func seriesResultToProto(r *scheduling.SeriesResult) (*sessionv1.SessionSeries, []*sessionv1.Session, []*sessionv1.SkippedOccurrence) {
	var skipped []*sessionv1.SkippedOccurrence
	for _, k := range r.Series.Skipped {
		skipped = append(skipped, &sessionv1.SkippedOccurrence{StartTime: protoconv.Timestamp(k.Start), Code: k.Code, Reason: k.Reason, Message: k.Message})
	}
	return seriesToProto(r.Series), sessionsToProto(r.Sessions), skipped
}

func utilisationToProto(u scheduling.Utilisation) *sessionv1.StudioUtilisation {
	return &sessionv1.StudioUtilisation{
		Studio:        u.Studio,
		OpenHours:     u.Open.Hours(),
		BookedHours:   u.Booked.Hours(),
		LiveHours:     u.Live.Hours(),
		NoShows:       u.NoShows,
		NoShowRate:    u.NoShowRate(),
		Cancellations: u.Cancellations,
		Utilisation:   u.Rate(),
	}
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

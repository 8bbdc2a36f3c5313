package app_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	sessionv1 "github.com/cqlive/alliance/gen/pb/alliance/session/v1"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// details is the text of every detail of a status error.
func details(err error) string {
	var b strings.Builder
	for _, d := range status.Convert(err).Details() {
		if m, ok := d.(proto.Message); ok {
			b.WriteString(protojson.Format(m))
		}
	}
	return b.String()
}

// TestUpdateMaskPaths: update_mask paths are the snake_case field names
// of a FieldMask; any other path is INVALID_ARGUMENT on update_mask whose
// description quotes it, and a lowerCamelCase one (as protojson spells
// fields) is told its snake_case name.
func TestUpdateMaskPaths(t *testing.T) {
	w := newWorld(t)
	s := w.mustCreate(draft("host-a", x1, 60, 120))
	patch := &sessionv1.Session{Name: s.GetName(), Title: "new title", PlatformRoomId: "room-9", StartTime: timestamppb.New(at(90)), EndTime: timestamppb.New(at(150))}
	cases := []struct {
		name     string
		paths    []string
		mentions []string // nil: accepted
	}{
		{"snake_case paths are applied", []string{"title", "platform_room_id", "start_time", "end_time"}, nil},
		{"an output-only path is ignored", []string{"title", "state"}, nil},
		{"a lowerCamelCase path is refused with its snake_case name", []string{"title", "startTime"}, []string{`\"startTime\"`, `\"start_time\"`}},
		{"lowerCamelCase of a two-word field", []string{"platformRoomId"}, []string{`\"platformRoomId\"`, `\"platform_room_id\"`}},
		{"an unknown path is named", []string{"shoe_size"}, []string{`\"shoe_size\"`}},
		{"every bad path is named", []string{"colour", "title", "endTime"}, []string{`\"colour\"`, `\"endTime\"`}},
		{"a nested path is unknown", []string{"session.title"}, []string{`\"session.title\"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := w.api.UpdateSession(context.Background(), &sessionv1.UpdateSessionRequest{Session: patch, UpdateMask: &fieldmaskpb.FieldMask{Paths: c.paths}})
			if c.mentions == nil {
				if err != nil || got.GetTitle() != "new title" {
					t.Fatalf("update = %v, %v", got, err)
				}
				return
			}
			wantErr(t, err, codes.InvalidArgument, "INVALID_ARGUMENT")
			if fields := grpcx.FieldViolations(err); !slices.Contains(fields, "update_mask") {
				t.Fatalf("field violations %v do not name update_mask", fields)
			}
			text := details(err)
			for _, m := range c.mentions {
				if !strings.Contains(text, m) {
					t.Fatalf("details %s do not mention %s", text, m)
				}
			}
		})
	}
}

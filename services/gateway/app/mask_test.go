package app

import (
	"slices"
	"testing"

	memberv1 "github.com/cqlive/alliance/gen/pb/alliance/member/v1"
	sessionv1 "github.com/cqlive/alliance/gen/pb/alliance/session/v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

func TestMaskPathsBecomeProtoNames(t *testing.T) {
	session := func(m *fieldmaskpb.FieldMask) proto.Message { return &sessionv1.UpdateSessionRequest{UpdateMask: m} }
	member := func(m *fieldmaskpb.FieldMask) proto.Message { return &memberv1.UpdateMemberRequest{UpdateMask: m} }
	product := func(m *fieldmaskpb.FieldMask) proto.Message { return &memberv1.UpdateProductRequest{UpdateMask: m} }
	cases := []struct {
		name      string
		req       func(*fieldmaskpb.FieldMask) proto.Message
		paths     []string
		wantPaths []string
	}{
		{"session: JSON names become proto names, proto names stay", session,
			[]string{"startTime", "end_time", "platformRoomId", "title"},
			[]string{"start_time", "end_time", "platform_room_id", "title"}},
		{"member: a nested path, segment by segment", member,
			[]string{"displayName", "contact.phone"},
			[]string{"display_name", "contact.phone"}},
		{"product: a nested JSON name", product,
			[]string{"listPrice.currencyCode", "listPrice.minorUnits"},
			[]string{"list_price.currency_code", "list_price.minor_units"}},
		{"a path that names no field is left for the service to refuse", member,
			[]string{"displayNam", "contact.fax", "*", ""},
			[]string{"displayNam", "contact.fax", "*", ""}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fm := &fieldmaskpb.FieldMask{Paths: slices.Clone(c.paths)}
			normalizeFieldMasks(c.req(fm).ProtoReflect())
			if !slices.Equal(fm.GetPaths(), c.wantPaths) {
				t.Fatalf("paths %v became %v, want %v", c.paths, fm.GetPaths(), c.wantPaths)
			}
		})
	}
	t.Run("a request without a mask is left alone", func(t *testing.T) {
		req := &memberv1.UpdateMemberRequest{}
		normalizeFieldMasks(req.ProtoReflect())
		if req.UpdateMask != nil {
			t.Fatal("a mask appeared")
		}
	})
}

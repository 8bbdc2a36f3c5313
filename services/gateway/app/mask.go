package app

import (
	"context"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

var fieldMaskName = (&fieldmaskpb.FieldMask{}).ProtoReflect().Descriptor().FullName()

// normalizeMasks rewrites the paths of a request's FieldMask from JSON
// names to proto names (displayName -> display_name) before the call goes
// out. protojson spells field names in lowerCamelCase, and so does every
// HTTP client that reads the gateway's JSON, but grpc-gateway copies an
// updateMask query parameter as it is, and the services know proto names
// only. A path that names no field is left as it is, for the service to
// refuse.
func normalizeMasks(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	if m, ok := req.(proto.Message); ok {
		normalizeFieldMasks(m.ProtoReflect())
	}
	return invoker(ctx, method, req, reply, cc, opts...)
}

// normalizeFieldMasks applies to the masks of an update request (AIP-134):
// a request whose one message field besides its masks is the resource the
// paths are relative to.
func normalizeFieldMasks(m protoreflect.Message) {
	var masks []protoreflect.FieldDescriptor
	var resource protoreflect.MessageDescriptor
	resources := 0
	fields := m.Descriptor().Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		if fd.Kind() != protoreflect.MessageKind || fd.IsList() || fd.IsMap() {
			continue
		}
		if fd.Message().FullName() == fieldMaskName {
			masks = append(masks, fd)
			continue
		}
		resource = fd.Message()
		resources++
	}
	if len(masks) == 0 || resources != 1 {
		return
	}
	for _, fd := range masks {
		if !m.Has(fd) {
			continue
		}
		fm, ok := m.Get(fd).Message().Interface().(*fieldmaskpb.FieldMask)
		if !ok {
			continue
		}
		for i, p := range fm.Paths {
			fm.Paths[i] = protoPath(resource, p)
		}
	}
}

// protoPath spells a dotted path in proto names, segment by segment, as
// far as the segments name fields of md.
func protoPath(md protoreflect.MessageDescriptor, path string) string {
	segs := strings.Split(path, ".")
	for i, s := range segs {
		if md == nil {
			break
		}
		fd := md.Fields().ByName(protoreflect.Name(s))
		if fd == nil {
			fd = md.Fields().ByJSONName(s)
		}
		if fd == nil {
			break
		}
		segs[i] = string(fd.Name())
		md = nil
		if fd.Kind() == protoreflect.MessageKind && !fd.IsList() && !fd.IsMap() {
			md = fd.Message()
		}
	}
	return strings.Join(segs, ".")
}

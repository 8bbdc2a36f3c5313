package grpcx

import (
	"bytes"
	"context"
	"crypto/rand"
	"unicode/utf8"

	"github.com/cqlive/alliance/services/kit/fault"
	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"
	encproto "google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// A request that does not unmarshal (bytes that are not protobuf, a string
// that is not UTF-8) is the caller's fault, but grpc-go answers it with
// INTERNAL and no ErrorInfo, and it writes that answer to the wire inside
// RecvMsg, before any interceptor or handler could choose another code.
// So the server's codec does not fail: it leaves the message empty and
// marks it, and the innermost interceptor (checkUnary, checkStream) refuses
// a marked message with INVALID_ARGUMENT, reason MALFORMED_REQUEST, after
// authentication and with the call's log line. Every call passes those
// interceptors (NewServer installs them), so no marked message reaches a
// handler.

// markField and markNonce make the mark: an unknown field that no client
// can forge, since the nonce is drawn per process and never sent.
const markField protowire.Number = protowire.MaxValidNumber

var markNonce = func() []byte {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return b
}()

// serverCodec is the proto codec that marks instead of failing.
type serverCodec struct{ base encoding.CodecV2 }

func newServerCodec() serverCodec { return serverCodec{base: encoding.GetCodecV2(encproto.Name)} }

func (c serverCodec) Name() string                           { return c.base.Name() }
func (c serverCodec) Marshal(v any) (mem.BufferSlice, error) { return c.base.Marshal(v) }

func (c serverCodec) Unmarshal(data mem.BufferSlice, v any) error {
	err := c.base.Unmarshal(data, v)
	if err == nil {
		return nil
	}
	m, ok := v.(proto.Message)
	if !ok || !m.ProtoReflect().IsValid() {
		return err
	}
	field := invalidUTF8Field(m.ProtoReflect().Descriptor(), data.Materialize(), "", 0)
	proto.Reset(m)
	mark := protowire.AppendTag(nil, markField, protowire.BytesType)
	mark = protowire.AppendBytes(mark, append(append([]byte(nil), markNonce...), field...))
	m.ProtoReflect().SetUnknown(mark)
	return nil
}

// malformed reports whether v is a marked message and, when a string was
// not UTF-8, which field.
func malformed(v any) (field string, bad bool) {
	m, ok := v.(proto.Message)
	if !ok || !m.ProtoReflect().IsValid() {
		return "", false
	}
	u := m.ProtoReflect().GetUnknown()
	if len(u) == 0 {
		return "", false
	}
	num, typ, n := protowire.ConsumeTag(u)
	if n < 0 || num != markField || typ != protowire.BytesType {
		return "", false
	}
	val, m2 := protowire.ConsumeBytes(u[n:])
	if m2 < 0 || n+m2 != len(u) || !bytes.HasPrefix(val, markNonce) {
		return "", false
	}
	return string(val[len(markNonce):]), true
}

func malformedStatus(v any, field string) error {
	name := "request"
	if m, ok := v.(proto.Message); ok {
		name = string(m.ProtoReflect().Descriptor().FullName())
	}
	fe := &fault.Error{
		Code:    fault.InvalidArgument,
		Reason:  fault.ReasonMalformedRequest,
		Message: "the request is not a valid " + name + ": its bytes do not decode as that message",
	}
	if field != "" {
		fe.Message = "the request is not a valid " + name + ": " + field + " is not valid UTF-8"
		fe.Violations = []fault.FieldViolation{{Field: field, Description: "is not valid UTF-8"}}
	}
	return FaultStatus(ServerDomain, fe).Err()
}

// maxWalkDepth bounds the search below; protobuf's own limit is far deeper,
// and a name that deep would help no caller.
const maxWalkDepth = 32

// invalidUTF8Field walks the wire bytes b of a message md and returns the
// path (proto names, e.g. "member.display_name") of the first string field
// that is not UTF-8, or "" when there is none or the bytes do not parse.
func invalidUTF8Field(md protoreflect.MessageDescriptor, b []byte, prefix string, depth int) string {
	if depth > maxWalkDepth {
		return ""
	}
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return ""
		}
		b = b[n:]
		if typ != protowire.BytesType {
			if n = protowire.ConsumeFieldValue(num, typ, b); n < 0 {
				return ""
			}
			b = b[n:]
			continue
		}
		val, n := protowire.ConsumeBytes(b)
		if n < 0 {
			return ""
		}
		b = b[n:]
		fd := md.Fields().ByNumber(num)
		if fd == nil {
			continue
		}
		switch fd.Kind() {
		case protoreflect.StringKind:
			if !utf8.Valid(val) {
				return prefix + string(fd.Name())
			}
		case protoreflect.MessageKind:
			if f := invalidUTF8Field(fd.Message(), val, prefix+string(fd.Name())+".", depth+1); f != "" {
				return f
			}
		}
	}
	return ""
}

// checkUnary refuses a marked request; it is the last unary interceptor.
func checkUnary(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if field, bad := malformed(req); bad {
		return nil, malformedStatus(req, field)
	}
	return handler(ctx, req)
}

// checkedStream refuses a marked message as RecvMsg's error.
type checkedStream struct{ grpc.ServerStream }

func (s checkedStream) RecvMsg(m any) error {
	if err := s.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	if field, bad := malformed(m); bad {
		return malformedStatus(m, field)
	}
	return nil
}

// checkStream is the last stream interceptor.
func checkStream(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	return handler(srv, checkedStream{ss})
}

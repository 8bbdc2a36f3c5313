package testkit

import (
	"context"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// WithKey is a context whose calls carry key as their Bearer token, the
// way every client of the suite sends an API key; "" carries none.
func WithKey(key string) context.Context {
	ctx := context.Background()
	if key != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+key)
	}
	return ctx
}

// NewMessage is an empty message of the named type, for a test that
// calls methods found from a service's descriptor.
func NewMessage(t testing.TB, name protoreflect.FullName) proto.Message {
	t.Helper()
	mt, err := protoregistry.GlobalTypes.FindMessageByName(name)
	if err != nil {
		t.Fatalf("message type %s: %v", name, err)
	}
	return mt.New().Interface()
}

// Invoke calls the method md over cc with in, whatever its kind: unary, a
// client stream of the one message in (a refused stream fails in its send
// or its answer), or a server stream, whose first message is the answer.
func Invoke(ctx context.Context, t testing.TB, cc grpc.ClientConnInterface, md protoreflect.MethodDescriptor, in proto.Message) (proto.Message, error) {
	t.Helper()
	out := NewMessage(t, md.Output().FullName())
	method := "/" + string(md.Parent().FullName()) + "/" + string(md.Name())
	if !md.IsStreamingClient() && !md.IsStreamingServer() {
		return out, cc.Invoke(ctx, method, in, out)
	}
	ctx, cancel := context.WithCancel(ctx) // a server stream's rest is not read
	defer cancel()
	stream, err := cc.NewStream(ctx, &grpc.StreamDesc{ClientStreams: md.IsStreamingClient(), ServerStreams: md.IsStreamingServer()}, method)
	if err != nil {
		return nil, err
	}
	if err := stream.SendMsg(in); err != nil && md.IsStreamingServer() {
		return nil, err
	}
	_ = stream.CloseSend()
	return out, stream.RecvMsg(out)
}

// RefusesBadKeys calls every method of sd over cc with each of bad (what
// the key is -> the key) and fails t unless every call is UNAUTHENTICATED
// with a message that names none of hidden (resource prefixes such as
// "members/": a caller without a valid key learns nothing of what is
// stored). in holds the request of a method by its name; a method not in
// it gets an empty request.
func RefusesBadKeys(t testing.TB, cc grpc.ClientConnInterface, sd protoreflect.ServiceDescriptor, bad map[string]string, in map[string]proto.Message, hidden ...string) {
	t.Helper()
	ms := sd.Methods()
	for i := range ms.Len() {
		md := ms.Get(i)
		req, ok := in[string(md.Name())]
		if !ok {
			req = NewMessage(t, md.Input().FullName())
		}
		for what, key := range bad {
			_, err := Invoke(WithKey(key), t, cc, md, req)
			if status.Code(err) != codes.Unauthenticated {
				t.Errorf("%s with %s: %v, want UNAUTHENTICATED", md.Name(), what, err)
			}
			msg := status.Convert(err).Message()
			for _, h := range hidden {
				if strings.Contains(msg, h) {
					t.Errorf("%s with %s: the message names a resource (%s): %v", md.Name(), what, h, err)
				}
			}
		}
	}
}

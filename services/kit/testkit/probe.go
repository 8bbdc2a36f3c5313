package testkit

import (
	"context"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
)

// RegisterProbe registers on s a service of the given name with one unary
// method, Call, from google.protobuf.Empty to Empty, that answers what
// call returns, through the server's interceptors: for tests of what
// happens around a call. It returns the method's full name
// ("/<service>/Call"), for ClientConn.Invoke.
func RegisterProbe(s *grpc.Server, service string, call func(ctx context.Context) error) string {
	method := "/" + service + "/Call"
	s.RegisterService(&grpc.ServiceDesc{ServiceName: service, HandlerType: (*any)(nil), Methods: []grpc.MethodDesc{{
		MethodName: "Call",
		Handler: func(srv any, ctx context.Context, dec func(any) error, ic grpc.UnaryServerInterceptor) (any, error) {
			in := new(emptypb.Empty)
			if err := dec(in); err != nil {
				return nil, err
			}
			h := func(ctx context.Context, _ any) (any, error) { return new(emptypb.Empty), call(ctx) }
			if ic == nil {
				return h(ctx, in)
			}
			return ic(ctx, in, &grpc.UnaryServerInfo{Server: srv, FullMethod: method}, h)
		},
	}}}, struct{}{})
	return method
}

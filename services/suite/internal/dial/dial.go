// Package dial connects the suite's tools and tests to its three gRPC
// services through their public API: one connection to each, with kit's
// client settings (grpcx.Dial).
package dial

import (
	memberv1 "github.com/cqlive/alliance/gen/pb/alliance/member/v1"
	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	sessionv1 "github.com/cqlive/alliance/gen/pb/alliance/session/v1"
	"github.com/cqlive/alliance/services/kit/auth"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"github.com/cqlive/alliance/services/suite/internal/layout"
	"google.golang.org/grpc"
)

// Clients are clients of member-registry, session-scheduling and
// sales-reporting, each over a connection of its own.
type Clients struct {
	Members  memberv1.MemberRegistryClient
	Sessions sessionv1.SessionSchedulerClient
	Sales    salesv1.SalesReportingClient
	// The connections under them, for other clients of the same
	// services (a health check).
	MembersConn, SessionsConn, SalesConn *grpc.ClientConn
}

// Suite is grpcx.Dial with o to each of the gRPC services at a's three
// addresses. On an error it closes what it had opened.
func Suite(a layout.Addrs, o grpcx.DialOptions) (*Clients, error) {
	var conns []*grpc.ClientConn
	for _, addr := range []string{a.MemberRegistry, a.SessionScheduling, a.SalesReporting} {
		cc, err := grpcx.Dial(addr, o)
		if err != nil {
			for _, open := range conns {
				_ = open.Close()
			}
			return nil, err
		}
		conns = append(conns, cc)
	}
	return &Clients{
		Members:      memberv1.NewMemberRegistryClient(conns[0]),
		Sessions:     sessionv1.NewSessionSchedulerClient(conns[1]),
		Sales:        salesv1.NewSalesReportingClient(conns[2]),
		MembersConn:  conns[0],
		SessionsConn: conns[1],
		SalesConn:    conns[2],
	}, nil
}

// Close closes the three connections.
func (c *Clients) Close() {
	for _, cc := range []*grpc.ClientConn{c.MembersConn, c.SessionsConn, c.SalesConn} {
		_ = cc.Close()
	}
}

// Bearer sends key (an admin's or a member's API key) on every call as
// `authorization: Bearer <key>`, on connections without TLS too (the
// suites the tools start on loopback).
func Bearer(key string) grpc.DialOption {
	return grpc.WithPerRPCCredentials(auth.PerRPCToken{Token: key, Insecure: true})
}

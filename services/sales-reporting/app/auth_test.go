package app_test

import (
	"context"
	"testing"
	"time"

	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	"github.com/cqlive/alliance/services/kit/auth"
	"github.com/cqlive/alliance/services/kit/auth/authtest"
	"github.com/cqlive/alliance/services/kit/testkit"
	"github.com/cqlive/alliance/services/sales-reporting/internal/rpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
)

func TestEveryRPCHasARule(t *testing.T) {
	authtest.Covers(t, rpc.Policy, salesv1.File_alliance_sales_v1_sales_reporting_proto.Services().ByName("SalesReporting"))
}

// TestAuthenticationWhenOn runs the server with admin keys and a service
// secret: an admin key or a service token records any sale (members: see
// authz_test.go), and nobody anonymous gets past the health check.
func TestAuthenticationWhenOn(t *testing.T) {
	e := newEnv(t)
	admin := auth.NewAdminKey()
	secret := auth.ServiceSecret("0123456789abcdef0123456789abcdef")
	e.stop()
	e.cfg.Admin, e.cfg.ServiceSecret = auth.NewAdminKeysFor(admin), secret
	e.start()
	s := order(sEnded, e.a.Tea, "auth-1", 1, 100, t0.Add(time.Hour))

	_, err := e.sales.RecordSale(context.Background(), &salesv1.RecordSaleRequest{Sale: s})
	if status.Code(err) != codes.Unauthenticated {
		t.Fatalf("anonymous RecordSale: %v, want UNAUTHENTICATED", err)
	}
	_, err = e.sales.RecordSale(testkit.WithKey("adm_not-a-key"), &salesv1.RecordSaleRequest{Sale: s})
	if status.Code(err) != codes.Unauthenticated {
		t.Fatalf("RecordSale with a wrong key: %v, want UNAUTHENTICATED", err)
	}
	_, err = e.sales.QuerySalesReport(context.Background(), &salesv1.QuerySalesReportRequest{StartDate: "2026-03-01", EndDate: "2026-04-01"})
	if status.Code(err) != codes.Unauthenticated {
		t.Fatalf("anonymous report: %v, want UNAUTHENTICATED", err)
	}
	if _, err := e.sales.RecordSale(testkit.WithKey(admin), &salesv1.RecordSaleRequest{Sale: s}); err != nil {
		t.Fatalf("admin RecordSale: %v", err)
	}
	s.ExternalId = "auth-2"
	if _, err := e.sales.RecordSale(testkit.WithKey(secret.Token("platform-feed")), &salesv1.RecordSaleRequest{Sale: s}); err != nil {
		t.Fatalf("RecordSale with a service token: %v", err)
	}
	if m, err := e.sales.QuerySalesReport(testkit.WithKey(admin), &salesv1.QuerySalesReportRequest{StartDate: "2026-03-01", EndDate: "2026-04-01"}); err != nil || m.GetTotals().GetOrders() != 2 {
		t.Fatalf("admin report: %v %v, want 2 orders", m.GetTotals(), err)
	}
	if _, err := healthpb.NewHealthClient(testkit.Dial(t, e.addr)).Check(context.Background(), &healthpb.HealthCheckRequest{}); err != nil {
		t.Fatalf("health check without a key: %v", err)
	}
}

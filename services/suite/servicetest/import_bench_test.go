package servicetest_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	memberv1 "github.com/cqlive/alliance/gen/pb/alliance/member/v1"
	sessionv1 "github.com/cqlive/alliance/gen/pb/alliance/session/v1"
	typev1 "github.com/cqlive/alliance/gen/pb/alliance/type/v1"
	"github.com/cqlive/alliance/services/kit/testkit"
	memberapp "github.com/cqlive/alliance/services/member-registry/app"
	schedapp "github.com/cqlive/alliance/services/session-scheduling/app"
	"github.com/cqlive/alliance/services/suite/servicetest"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// alliance is a registry shaped like the 2020 replay's: 12 bases of 12
// studios (144), 500 hosts, 20 agencies, 100 merchants of 9 products
// (900), 38 district offices; about 670 members.
type alliance struct {
	studios, hosts, merchants []string
}

func seedAlliance(b *testing.B, reg memberv1.MemberRegistryClient) *alliance {
	b.Helper()
	a := &alliance{}
	type job struct {
		id      string
		m       *memberv1.Member
		product int // products to add (merchants)
	}
	var jobs []job
	add := func(id string, kind memberv1.MemberKind, studios, products int) {
		m := &memberv1.Member{Kind: kind, DisplayName: id, District: "jiulongpo"}
		for s := range studios {
			sid := fmt.Sprintf("studio-%02d", s)
			m.Studios = append(m.Studios, &memberv1.Studio{StudioId: sid, DisplayName: sid})
			a.studios = append(a.studios, "members/"+id+"/studios/"+sid)
		}
		jobs = append(jobs, job{id, m, products})
	}
	for i := range 12 {
		add(fmt.Sprintf("base-%02d", i), memberv1.MemberKind_MEMBER_KIND_BASE, 12, 0)
	}
	for i := range 20 {
		add(fmt.Sprintf("agency-%02d", i), memberv1.MemberKind_MEMBER_KIND_AGENCY, 0, 0)
	}
	for i := range 38 {
		add(fmt.Sprintf("district-%02d", i), memberv1.MemberKind_MEMBER_KIND_DISTRICT_OFFICE, 0, 0)
	}
	for i := range 100 {
		id := fmt.Sprintf("merchant-%03d", i)
		add(id, memberv1.MemberKind_MEMBER_KIND_MERCHANT, 0, 9)
		a.merchants = append(a.merchants, "members/"+id)
	}
	for i := range 500 {
		id := fmt.Sprintf("host-%03d", i)
		add(id, memberv1.MemberKind_MEMBER_KIND_HOST, 0, 0)
		a.hosts = append(a.hosts, "members/"+id)
	}
	ctx := context.Background()
	// No host has an agency, so every member can be made at once.
	work := make(chan job)
	errs := make(chan error, len(jobs))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for j := range work {
				if _, err := reg.CreateMember(ctx, &memberv1.CreateMemberRequest{MemberId: j.id, Member: j.m}); err != nil {
					errs <- fmt.Errorf("member %s: %w", j.id, err)
					continue
				}
				for p := range j.product {
					_, err := reg.CreateProduct(ctx, &memberv1.CreateProductRequest{
						Parent: "members/" + j.id, ProductId: fmt.Sprintf("p%d", p),
						Product: &memberv1.Product{DisplayName: "tea", Category: "tea", OriginDistrict: "banan",
							State: memberv1.ProductState_PRODUCT_STATE_ACTIVE, ListPrice: &typev1.Money{CurrencyCode: "CNY", MinorUnits: 1250}},
					})
					if err != nil {
						errs <- fmt.Errorf("product of %s: %w", j.id, err)
					}
				}
			}
		})
	}
	for _, j := range jobs {
		work <- j
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	return a
}

// year makes n ENDED sessions from `from` on, in the replay's pattern:
// eight 100-minute slots a day, 115 minutes apart from 07:00, every
// studio filled slot by slot, a host never in two studios at once, one
// merchant and two of its products per session.
func (a *alliance) year(prefix string, from time.Time, n int) []*sessionv1.ImportSessionsRequest {
	const slotsPerDay = 8
	out := make([]*sessionv1.ImportSessionsRequest, 0, n)
	for k := 0; len(out) < n; k++ {
		day, slot := k/slotsPerDay, k%slotsPerDay
		start := from.AddDate(0, 0, day).Add(7*time.Hour + time.Duration(slot)*115*time.Minute)
		end := start.Add(100 * time.Minute)
		for j, studio := range a.studios {
			if len(out) == n {
				break
			}
			merchant := a.merchants[(j*7+slot+day)%len(a.merchants)]
			p := (j + day) % 9
			out = append(out, &sessionv1.ImportSessionsRequest{
				SessionId: fmt.Sprintf("%s-%06d", prefix, len(out)),
				Session: &sessionv1.Session{
					Title: "Chongqing specialties", Host: a.hosts[(j+slot*len(a.studios)+day*37)%len(a.hosts)], Studio: studio,
					Merchants: []string{merchant},
					Products:  []string{fmt.Sprintf("%s/products/p%d", merchant, p), fmt.Sprintf("%s/products/p%d", merchant, (p+1)%9)},
					Platform:  typev1.Platform_PLATFORM_DOUYIN, StartTime: timestamppb.New(start), EndTime: timestamppb.New(end),
					State:           sessionv1.SessionState_SESSION_STATE_ENDED,
					ActualStartTime: timestamppb.New(start), ActualEndTime: timestamppb.New(end.Add(-time.Minute)),
				},
			})
		}
	}
	return out
}

// BenchmarkImportSessions streams 20,000 ENDED sessions of 2020 (about 17
// days of 144 studios) per iteration through ImportSessions over loopback
// gRPC, with a real registry of the replay's shape, into a growing store:
// iteration i imports the days after iteration i-1. It reports
// sessions/s. SESSION_IMPORT_BENCH_N changes the count (184000: the year).
//
//	cd services/suite && go test -run '^$' -bench ImportSessions -benchtime 3x ./servicetest/
func BenchmarkImportSessions(b *testing.B) {
	n := 20000
	if v, err := strconv.Atoi(os.Getenv("SESSION_IMPORT_BENCH_N")); err == nil && v > 0 {
		n = v
	}
	regAddr := servicetest.Registry(b, memberapp.Config{})
	a := seedAlliance(b, memberv1.NewMemberRegistryClient(testkit.Dial(b, regAddr)))
	addr := servicetest.Scheduler(b, schedapp.Config{MemberRegistryAddr: regAddr})
	api := sessionv1.NewSessionSchedulerClient(testkit.Dial(b, addr))
	days := (n + 8*len(a.studios) - 1) / (8 * len(a.studios))
	jan1 := time.Date(2020, 1, 1, 0, 0, 0, 0, time.FixedZone("CST", 8*3600))
	var total time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		lines := a.year(fmt.Sprintf("i%d", i), jan1.AddDate(0, 0, i*(days+1)), n)
		b.StartTimer()
		began := time.Now()
		stream, err := api.ImportSessions(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		for _, l := range lines {
			if err := stream.Send(l); err != nil {
				break // the answer says why
			}
		}
		resp, err := stream.CloseAndRecv()
		total += time.Since(began)
		if err != nil {
			b.Fatal(err)
		}
		if resp.Accepted != int64(n) {
			b.Fatalf("accepted %d of %d; first errors %v", resp.Accepted, n, resp.Errors[:min(3, len(resp.Errors))])
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/total.Seconds(), "sessions/s")
}

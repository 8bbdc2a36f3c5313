// Package bench is the suite's benchmarks against real processes, behind
// one command, alliance-bench (services/suite/cmd/alliance-bench), and
// `make bench`: each figure is a ratio to a floor measured in the same run
// on the same machine, since the machine's neighbours move absolute rates.
//
//   - writes: the floors (the empty RPC over ghz and a Go client, the
//     disk's fsync rate) and the write paths against them;
//   - gateway: RecordSale and GetMember over HTTP/JSON through the gateway
//     against the same calls over gRPC;
//   - ghzdata: pre-serialized RecordSale requests for `ghz --binary-file`
//     (see ghz.sh).
//
// The in-process Go benchmarks (go test -bench) stay beside the code they
// measure; BENCHMARKS.md lists every one with its command.
package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	memberv1 "github.com/cqlive/alliance/gen/pb/alliance/member/v1"
	sessionv1 "github.com/cqlive/alliance/gen/pb/alliance/session/v1"
	typev1 "github.com/cqlive/alliance/gen/pb/alliance/type/v1"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"github.com/cqlive/alliance/services/suite/internal/dial"
	"github.com/cqlive/alliance/services/suite/internal/layout"
	"github.com/cqlive/alliance/services/suite/internal/proc"
	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Figures are one measurement.
type Figures struct {
	Calls, Errors int64
	Rate          float64 // per second
	P50, P99      time.Duration
}

// Suite is a private suite started from the binaries of a folder, on free
// loopback ports, over temporary data, with API keys on as in production.
type Suite struct {
	Addrs    layout.Addrs
	AdminKey string
	// Clients are the admin's connections to the three services.
	Clients Clients
	// Dir is its data folder, removed by Stop.
	Dir  string
	stop func()
}

// Up starts member-registry, session-scheduling and sales-reporting from
// bin, and the gateway too with gateway, and connects to the three. The processes log warnings only:
// logging every call would measure the terminal.
func Up(bin string, gateway bool) (*Suite, error) {
	dir, err := os.MkdirTemp("", "alliance-bench-")
	if err != nil {
		return nil, err
	}
	s := &Suite{Dir: dir, Addrs: layout.Addrs{MemberRegistry: layout.FreeAddr(), SessionScheduling: layout.FreeAddr(), SalesReporting: layout.FreeAddr()}}
	if gateway {
		s.Addrs.Gateway = layout.FreeAddr()
	}
	keys, key, _, err := layout.EnsureAuth(dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s.AdminKey = key
	procs := layout.WithAuth(layout.Procs(s.Addrs, dir, "warn"), keys)
	if !gateway {
		procs = procs[:3]
	}
	stop, err := layout.Start(context.Background(), bin, procs, 20*time.Second,
		func(l proc.Line) { fmt.Fprintf(os.Stderr, "[%s] %s\n", l.Proc, l.Text) })
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s.stop = func() { stop(); os.RemoveAll(dir) }
	if s.Clients, err = s.dial(); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// Stop stops the processes and removes the data.
func (s *Suite) Stop() { s.stop() }

// Bearer is the value of the authorization header of the admin.
func (s *Suite) Bearer() string { return "Bearer " + s.AdminKey }

// Clients are the admin's connections to the three services.
type Clients struct {
	*dial.Clients
	// SessionsHealth is session-scheduling's health check: a floor.
	SessionsHealth healthpb.HealthClient
}

// dial connects to the three services as the admin; the connections
// close with the process.
func (s *Suite) dial() (Clients, error) {
	c, err := dial.Suite(s.Addrs, grpcx.DialOptions{Timeout: time.Minute, GRPC: []grpc.DialOption{dial.Bearer(s.AdminKey)}})
	if err != nil {
		return Clients{}, err
	}
	return Clients{Clients: c, SessionsHealth: healthpb.NewHealthClient(c.SessionsConn)}, nil
}

// The fixture of Seed.
const (
	Merchant = "members/bench-merchant"
	Product  = Merchant + "/products/tea"
)

// Host is the i-th host of Seed; each host books in studio i of the base.
func Host(i int) string { return fmt.Sprintf("members/bench-host-%02d", i) }

// Studio is the i-th studio of Seed's base.
func Studio(i int) string { return fmt.Sprintf("members/bench-base/studios/s%02d", i) }

// Seed makes a base with a studio per host, hosts+1 hosts, a merchant
// with a product, and a LIVE session of the last host to record sales
// against, selling that product.
func Seed(ctx context.Context, mc memberv1.MemberRegistryClient, sc sessionv1.SessionSchedulerClient, hosts int) (*sessionv1.Session, error) {
	base := &memberv1.Member{Kind: memberv1.MemberKind_MEMBER_KIND_BASE, DisplayName: "压测基地", District: "jiulongpo"}
	for i := range hosts + 1 {
		base.Studios = append(base.Studios, &memberv1.Studio{StudioId: fmt.Sprintf("s%02d", i), DisplayName: "直播间"})
	}
	if _, err := mc.CreateMember(ctx, &memberv1.CreateMemberRequest{MemberId: "bench-base", Member: base}); err != nil {
		return nil, err
	}
	for i := range hosts + 1 {
		if _, err := mc.CreateMember(ctx, &memberv1.CreateMemberRequest{MemberId: fmt.Sprintf("bench-host-%02d", i),
			Member: &memberv1.Member{Kind: memberv1.MemberKind_MEMBER_KIND_HOST, DisplayName: "主播", District: "banan"}}); err != nil {
			return nil, err
		}
	}
	if _, err := mc.CreateMember(ctx, &memberv1.CreateMemberRequest{MemberId: "bench-merchant",
		Member: &memberv1.Member{Kind: memberv1.MemberKind_MEMBER_KIND_MERCHANT, DisplayName: "茶园", District: "banan"}}); err != nil {
		return nil, err
	}
	if _, err := mc.CreateProduct(ctx, &memberv1.CreateProductRequest{Parent: Merchant, ProductId: "tea",
		Product: &memberv1.Product{DisplayName: "巴南银针", Category: "tea", OriginDistrict: "banan", ListPrice: &typev1.Money{CurrencyCode: "CNY", MinorUnits: 12800}}}); err != nil {
		return nil, err
	}
	at := time.Now().Add(5 * time.Minute)
	s, err := sc.CreateSession(ctx, &sessionv1.CreateSessionRequest{SessionId: "bench-live", Session: &sessionv1.Session{
		Title: "压测直播", Host: Host(hosts), Studio: Studio(hosts), Merchants: []string{Merchant}, Products: []string{Product},
		Platform: typev1.Platform_PLATFORM_DOUYIN, StartTime: timestamppb.New(at), EndTime: timestamppb.New(at.Add(12 * time.Hour)),
	}})
	if err != nil {
		return nil, err
	}
	return sc.StartSession(ctx, &sessionv1.StartSessionRequest{Name: s.GetName()})
}

// Ghz is one ghz run: Workers concurrent calls of Method with Data (a
// template) to Addr, with the authorization header Bearer; N calls, or as
// many as fit in Duration when it is set.
type Ghz struct {
	Addr, Method, Data, Bearer string
	Workers, N                 int
	Duration                   time.Duration
}

// Run runs the ghz binary and reads its JSON report. In a run of a set
// Duration, the calls ghz cancels itself when the time is up count as
// neither calls nor errors.
func (g Ghz) Run(ghz string) (Figures, error) {
	md, _ := json.Marshal(map[string]string{"authorization": g.Bearer})
	args := []string{"--insecure", "--call", g.Method, "-d", g.Data, "-m", string(md), "--reflect-metadata", string(md), "-c", fmt.Sprint(g.Workers)}
	if g.Duration > 0 {
		args = append(args, "-z", g.Duration.String(), "-n", "100000000")
	} else {
		args = append(args, "-n", fmt.Sprint(g.N))
	}
	cmd := exec.Command(ghz, append(args, "-O", "json", g.Addr)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return Figures{}, fmt.Errorf("ghz %s: %v\n%s", g.Method, err, errb.String())
	}
	var rep struct {
		Count   int64            `json:"count"`
		Rps     float64          `json:"rps"`
		Status  map[string]int64 `json:"statusCodeDistribution"`
		Latency []struct {
			Percentage int   `json:"percentage"`
			Latency    int64 `json:"latency"`
		} `json:"latencyDistribution"`
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		return Figures{}, fmt.Errorf("ghz %s: %v", g.Method, err)
	}
	f := Figures{Calls: rep.Count, Rate: rep.Rps}
	for code, n := range rep.Status {
		switch {
		case code == "OK":
		case code == "Canceled" && g.Duration > 0:
			f.Calls -= n
		default:
			f.Errors += n
		}
	}
	for _, l := range rep.Latency {
		switch l.Percentage {
		case 50:
			f.P50 = time.Duration(l.Latency)
		case 99:
			f.P99 = time.Duration(l.Latency)
		}
	}
	if f.Errors > 0 {
		fmt.Fprintf(os.Stderr, "ghz %s: status codes %v\n", g.Method, rep.Status)
	}
	return f, nil
}

// Load makes n calls over c workers, each call told its worker and its
// number within the worker, and measures calls/s and latency; the first
// error is printed, and all are counted.
func Load(what string, c, n int, call func(worker, i int) error) Figures {
	var next, errs atomic.Int64
	lat := make([][]time.Duration, c)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range c {
		wg.Go(func() {
			for i := 0; next.Add(1) <= int64(n); i++ {
				t := time.Now()
				if err := call(w, i); err != nil && errs.Add(1) == 1 {
					fmt.Fprintf(os.Stderr, "%s: %v\n", what, err)
				}
				lat[w] = append(lat[w], time.Since(t))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	all := slices.Concat(lat...)
	slices.Sort(all)
	return Figures{Calls: int64(n), Errors: errs.Load(), Rate: float64(n) / elapsed.Seconds(), P50: all[len(all)/2], P99: all[len(all)*99/100]}
}

// ghzIn is the ghz binary in bin, as `make build` puts it there.
func ghzIn(bin string) string { return filepath.Join(bin, "ghz") }

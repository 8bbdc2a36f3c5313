// Command bench measures the gateway's price: RecordSale and GetMember over
// HTTP/JSON through the gateway against the same calls over gRPC straight
// to the service, in one run, on one suite. gRPC load comes from ghz; HTTP
// load from a Go client with the same number of workers. It starts its own
// suite from the binaries in -bin (make build) with temporary data, so its
// figures never mix with a running `make run`.
//
//	go run ./services/suite/bench -bin bin -duration 10s
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	memberv1 "github.com/cqlive/alliance/gen/pb/alliance/member/v1"
	sessionv1 "github.com/cqlive/alliance/gen/pb/alliance/session/v1"
	typev1 "github.com/cqlive/alliance/gen/pb/alliance/type/v1"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"github.com/cqlive/alliance/services/suite/internal/layout"
	"github.com/cqlive/alliance/services/suite/internal/proc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/types/known/timestamppb"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type figures struct {
	calls, errors int64
	rps           float64
	p50, p99      time.Duration
}

func run(args []string) error {
	var bin, ghz string
	var workers, rounds int
	var dur time.Duration
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.StringVar(&bin, "bin", "bin", "folder of the four service binaries and ghz")
	fs.StringVar(&ghz, "ghz", "", "the ghz binary (default: ghz in -bin)")
	fs.IntVar(&workers, "c", 64, "concurrent workers (ghz -c and the HTTP client)")
	fs.IntVar(&rounds, "rounds", 2, "rounds of measurements; each path keeps its best")
	fs.DurationVar(&dur, "duration", 10*time.Second, "length of each measurement")
	if err := fs.Parse(args); err != nil {
		return err
	}
	bin, _ = filepath.Abs(bin)
	data, err := os.MkdirTemp("", "alliance-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(data)

	addrs := layout.Addrs{MemberRegistry: layout.FreeAddr(), SessionScheduling: layout.FreeAddr(), SalesReporting: layout.FreeAddr(), Gateway: layout.FreeAddr()}
	// Every call is authenticated, as in production: the admin key, checked
	// against its hash on each call by the service.
	keys, adminKey, _, err := layout.EnsureAuth(data)
	if err != nil {
		return err
	}
	bearer := "Bearer " + adminKey
	var procs []*proc.Proc
	defer func() {
		for i := len(procs) - 1; i >= 0; i-- {
			procs[i].Stop(10 * time.Second)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// Warnings only: logging every call would measure the terminal.
	for _, s := range layout.WithAuth(layout.Procs(addrs, data, "warn"), keys) {
		p, err := proc.Start(s.Name, filepath.Join(bin, s.Name), s.Args, nil, func(l proc.Line) { fmt.Fprintln(os.Stderr, l.Proc, "|", l.Text) })
		if err != nil {
			return err
		}
		procs = append(procs, p)
		if s.GRPCService != "" {
			err = proc.WaitGRPC(ctx, p, s.Addr, s.GRPCService)
		} else {
			err = proc.WaitHTTP(ctx, p, "http://"+s.Addr+"/readyz")
		}
		if err != nil {
			return err
		}
	}
	session, eventTime, err := fixtures(addrs, bearer)
	if err != nil {
		return fmt.Errorf("fixtures: %w", err)
	}

	sale := func(ext string) string {
		return `{"session":"` + session + `","product":"members/bench-farm/products/tea","kind":"SALE_KIND_ORDER",` +
			`"quantity":"1","amount":{"currencyCode":"CNY","minorUnits":"12800"},"platform":"PLATFORM_DOUYIN",` +
			`"externalId":"` + ext + `","eventTime":"` + eventTime + `"}`
	}
	if ghz == "" {
		ghz = filepath.Join(bin, "ghz")
	}
	results := map[string]figures{}
	fmt.Printf("suite up; %d workers, %s per measurement, %d rounds\n", workers, dur, rounds)

	var n atomic.Int64
	measure := map[string]func() (figures, error){
		"RecordSale gRPC": func() (figures, error) {
			return runGhz(ghz, addrs.SalesReporting, "alliance.sales.v1.SalesReporting/RecordSale",
				`{"sale":`+sale(fmt.Sprintf("ghz-%d-{{.RequestNumber}}", n.Add(1)))+`}`, bearer, workers, dur)
		},
		"RecordSale HTTP": func() (figures, error) {
			return runHTTP(workers, dur, bearer, func() (*http.Request, error) {
				return http.NewRequest("POST", "http://"+addrs.Gateway+"/v1/sales",
					strings.NewReader(sale(fmt.Sprintf("http-%d", n.Add(1)))))
			}), nil
		},
		"GetMember gRPC": func() (figures, error) {
			return runGhz(ghz, addrs.MemberRegistry, "alliance.member.v1.MemberRegistry/GetMember",
				`{"name":"members/bench-host"}`, bearer, workers, dur)
		},
		"GetMember HTTP": func() (figures, error) {
			return runHTTP(workers, dur, bearer, func() (*http.Request, error) {
				return http.NewRequest("GET", "http://"+addrs.Gateway+"/v1/members/bench-host", nil)
			}), nil
		},
	}
	// Rounds alternate which path goes first, so neither always meets the
	// larger sales file or the warmer caches; each path keeps its best round.
	order := []string{"RecordSale gRPC", "RecordSale HTTP", "GetMember gRPC", "GetMember HTTP"}
	for r := range rounds {
		for i := 0; i < len(order); i += 2 {
			pair := []string{order[i], order[i+1]}
			if r%2 == 1 {
				pair[0], pair[1] = pair[1], pair[0]
			}
			for _, k := range pair {
				f, err := measure[k]()
				if err != nil {
					return err
				}
				fmt.Printf("round %d  %-16s %7.0f calls/s  p50 %-8s p99 %-8s errors %d\n", r+1, k, f.rps,
					f.p50.Round(10*time.Microsecond), f.p99.Round(10*time.Microsecond), f.errors)
				if f.rps > results[k].rps {
					results[k] = f
				}
			}
		}
	}

	fmt.Printf("\nbest of %d rounds:\n| call | path | calls | errors | calls/s | p50 | p99 |\n|---|---|---:|---:|---:|---:|---:|\n", rounds)
	for _, k := range []string{"RecordSale gRPC", "RecordSale HTTP", "GetMember gRPC", "GetMember HTTP"} {
		f := results[k]
		call, path, _ := strings.Cut(k, " ")
		fmt.Printf("| %s | %s | %d | %d | %.0f | %s | %s |\n", call, path, f.calls, f.errors, f.rps,
			f.p50.Round(10*time.Microsecond), f.p99.Round(10*time.Microsecond))
	}
	for _, call := range []string{"RecordSale", "GetMember"} {
		g, h := results[call+" gRPC"], results[call+" HTTP"]
		verdict := "meets"
		if h.rps < 0.4*g.rps {
			verdict = "MISSES"
		}
		fmt.Printf("\n%s: HTTP/JSON through the gateway = %.2f× gRPC (%s the 0.4× target)", call, h.rps/g.rps, verdict)
	}
	fmt.Println()
	return nil
}

// fixtures registers a base, a host, a merchant with a product, and a live
// session to record sales into; it returns the session and an event time
// inside its window.
func fixtures(a layout.Addrs, bearer string) (string, string, error) {
	ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", bearer)
	mc, err := grpcx.Dial(a.MemberRegistry, grpcx.DialOptions{})
	if err != nil {
		return "", "", err
	}
	defer mc.Close()
	m := memberv1.NewMemberRegistryClient(mc)
	for _, req := range []*memberv1.CreateMemberRequest{
		{MemberId: "bench-base", Member: &memberv1.Member{Kind: memberv1.MemberKind_MEMBER_KIND_BASE, DisplayName: "压测基地", District: "jiulongpo",
			Studios: []*memberv1.Studio{{StudioId: "s1", DisplayName: "一号厅"}}}},
		{MemberId: "bench-host", Member: &memberv1.Member{Kind: memberv1.MemberKind_MEMBER_KIND_HOST, DisplayName: "压测主播", District: "banan"}},
		{MemberId: "bench-farm", Member: &memberv1.Member{Kind: memberv1.MemberKind_MEMBER_KIND_MERCHANT, DisplayName: "压测茶场", District: "banan"}},
	} {
		if _, err := m.CreateMember(ctx, req); err != nil {
			return "", "", err
		}
	}
	if _, err := m.CreateProduct(ctx, &memberv1.CreateProductRequest{Parent: "members/bench-farm", ProductId: "tea",
		Product: &memberv1.Product{DisplayName: "巴南银针", Category: "tea", OriginDistrict: "banan",
			ListPrice: &typev1.Money{CurrencyCode: "CNY", MinorUnits: 12800}}}); err != nil {
		return "", "", err
	}
	sc, err := grpcx.Dial(a.SessionScheduling, grpcx.DialOptions{})
	if err != nil {
		return "", "", err
	}
	defer sc.Close()
	s := sessionv1.NewSessionSchedulerClient(sc)
	start := time.Now().Add(5 * time.Minute)
	sess, err := s.CreateSession(ctx, &sessionv1.CreateSessionRequest{SessionId: "bench", Session: &sessionv1.Session{
		Title: "压测", Host: "members/bench-host", Studio: "members/bench-base/studios/s1",
		Merchants: []string{"members/bench-farm"}, Products: []string{"members/bench-farm/products/tea"},
		Platform: typev1.Platform_PLATFORM_DOUYIN, StartTime: timestamppb.New(start), EndTime: timestamppb.New(start.Add(2 * time.Hour))}})
	if err != nil {
		return "", "", err
	}
	if _, err := s.StartSession(ctx, &sessionv1.StartSessionRequest{Name: sess.GetName()}); err != nil {
		return "", "", err
	}
	return sess.GetName(), time.Now().UTC().Format(time.RFC3339Nano), nil
}

// runGhz runs ghz for dur with the given workers and reads its JSON report.
func runGhz(ghz, addr, call, data, bearer string, workers int, dur time.Duration) (figures, error) {
	md, _ := json.Marshal(map[string]string{"authorization": bearer})
	cmd := exec.Command(ghz, "--insecure", "--call", call, "-d", data, "-m", string(md), "--reflect-metadata", string(md), "-c", fmt.Sprint(workers),
		"-z", dur.String(), "-n", "100000000", "-O", "json", addr)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return figures{}, fmt.Errorf("ghz %s: %v\n%s", call, err, errb.String())
	}
	var rep struct {
		Count          int64            `json:"count"`
		Rps            float64          `json:"rps"`
		StatusCodeDist map[string]int64 `json:"statusCodeDistribution"`
		LatencyDistrib []struct {
			Percentage int   `json:"percentage"`
			Latency    int64 `json:"latency"`
		} `json:"latencyDistribution"`
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		return figures{}, fmt.Errorf("ghz output: %v", err)
	}
	f := figures{calls: rep.Count - rep.StatusCodeDist["Canceled"], rps: rep.Rps}
	for code, n := range rep.StatusCodeDist {
		// Canceled: the calls in flight when -z ran out, cut off by ghz itself.
		if code != "OK" && code != "Canceled" {
			f.errors += n
		}
	}
	for _, l := range rep.LatencyDistrib {
		switch l.Percentage {
		case 50:
			f.p50 = time.Duration(l.Latency)
		case 99:
			f.p99 = time.Duration(l.Latency)
		}
	}
	if f.errors > 0 {
		fmt.Fprintf(os.Stderr, "ghz %s: status codes %v\n", call, rep.StatusCodeDist)
	}
	return f, nil
}

// runHTTP keeps workers requests in flight for dur over keep-alive
// connections, like ghz does over its gRPC connection.
func runHTTP(workers int, dur time.Duration, bearer string, newReq func() (*http.Request, error)) figures {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers, MaxConnsPerHost: workers}}
	var (
		mu        sync.Mutex
		latencies []time.Duration
		errs      atomic.Int64
		wg        sync.WaitGroup
	)
	deadline := time.Now().Add(dur)
	begin := time.Now()
	for range workers {
		wg.Go(func() {
			var mine []time.Duration
			for time.Now().Before(deadline) {
				req, err := newReq()
				if err != nil {
					errs.Add(1)
					continue
				}
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", bearer)
				t := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					errs.Add(1)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					if errs.Add(1) == 1 {
						fmt.Fprintln(os.Stderr, "http: first error status", resp.Status)
					}
					continue
				}
				mine = append(mine, time.Since(t))
			}
			mu.Lock()
			latencies = append(latencies, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed := time.Since(begin)
	slices.Sort(latencies)
	f := figures{calls: int64(len(latencies)) + errs.Load(), errors: errs.Load()}
	f.rps = float64(f.calls) / elapsed.Seconds()
	if n := len(latencies); n > 0 {
		f.p50, f.p99 = latencies[n/2], latencies[n*99/100]
	}
	return f
}

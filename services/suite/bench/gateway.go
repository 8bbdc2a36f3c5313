package bench

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Gateway measures the gateway's price: RecordSale and GetMember over
// HTTP/JSON through the gateway against the same calls over gRPC straight
// to the service, in one run, on one suite. gRPC load comes from ghz; HTTP
// load from a Go client with the same number of workers. It starts its own
// suite from the binaries in -bin (make build) with temporary data, so its
// figures never mix with a running `make run`.
func Gateway(args []string) error {
	var bin, ghz string
	var workers, rounds int
	var dur time.Duration
	fs := flag.NewFlagSet("alliance-bench gateway", flag.ContinueOnError)
	fs.StringVar(&bin, "bin", "bin", "folder of the four service binaries and ghz")
	fs.StringVar(&ghz, "ghz", "", "the ghz binary (default: ghz in -bin)")
	fs.IntVar(&workers, "c", 64, "concurrent workers (ghz -c and the HTTP client)")
	fs.IntVar(&rounds, "rounds", 2, "rounds of measurements; each path keeps its best")
	fs.DurationVar(&dur, "duration", 10*time.Second, "length of each measurement")
	if err := fs.Parse(args); err != nil {
		return err
	}
	bin, _ = filepath.Abs(bin)
	if ghz == "" {
		ghz = ghzIn(bin)
	}
	// Every call is authenticated, as in production: the admin key, checked
	// against its hash on each call by the service.
	s, err := Up(bin, true)
	if err != nil {
		return err
	}
	defer s.Stop()
	c := s.Clients
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	live, err := Seed(ctx, c.Members, c.Sessions, 0)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	eventTime := time.Now().UTC().Format(time.RFC3339Nano)
	sale := func(ext string) string {
		return `{"session":"` + live.GetName() + `","product":"` + Product + `","kind":"SALE_KIND_ORDER",` +
			`"quantity":"1","amount":{"currencyCode":"CNY","minorUnits":"12800"},"platform":"PLATFORM_DOUYIN",` +
			`"externalId":"` + ext + `","eventTime":"` + eventTime + `"}`
	}
	results := map[string]Figures{}
	fmt.Printf("suite up; %d workers, %s per measurement, %d rounds\n", workers, dur, rounds)

	var n atomic.Int64
	grpcCall := func(addr, method, data string) func() (Figures, error) {
		return func() (Figures, error) {
			return Ghz{Addr: addr, Method: method, Data: data, Bearer: s.Bearer(), Workers: workers, Duration: dur}.Run(ghz)
		}
	}
	measure := map[string]func() (Figures, error){
		"RecordSale gRPC": func() (Figures, error) {
			return grpcCall(s.Addrs.SalesReporting, "alliance.sales.v1.SalesReporting/RecordSale",
				`{"sale":`+sale(fmt.Sprintf("ghz-%d-{{.RequestNumber}}", n.Add(1)))+`}`)()
		},
		"RecordSale HTTP": func() (Figures, error) {
			return runHTTP(workers, dur, s.Bearer(), func() (*http.Request, error) {
				return http.NewRequest("POST", "http://"+s.Addrs.Gateway+"/v1/sales",
					strings.NewReader(sale(fmt.Sprintf("http-%d", n.Add(1)))))
			}), nil
		},
		"GetMember gRPC": grpcCall(s.Addrs.MemberRegistry, "alliance.member.v1.MemberRegistry/GetMember", `{"name":"`+Host(0)+`"}`),
		"GetMember HTTP": func() (Figures, error) {
			return runHTTP(workers, dur, s.Bearer(), func() (*http.Request, error) {
				return http.NewRequest("GET", "http://"+s.Addrs.Gateway+"/v1/"+Host(0), nil)
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
				fmt.Printf("round %d  %-16s %7.0f calls/s  p50 %-8s p99 %-8s errors %d\n", r+1, k, f.Rate,
					f.P50.Round(10*time.Microsecond), f.P99.Round(10*time.Microsecond), f.Errors)
				if f.Rate > results[k].Rate {
					results[k] = f
				}
			}
		}
	}

	fmt.Printf("\nbest of %d rounds:\n| call | path | calls | errors | calls/s | p50 | p99 |\n|---|---|---:|---:|---:|---:|---:|\n", rounds)
	for _, k := range order {
		f := results[k]
		call, path, _ := strings.Cut(k, " ")
		fmt.Printf("| %s | %s | %d | %d | %.0f | %s | %s |\n", call, path, f.Calls, f.Errors, f.Rate,
			f.P50.Round(10*time.Microsecond), f.P99.Round(10*time.Microsecond))
	}
	for _, call := range []string{"RecordSale", "GetMember"} {
		g, h := results[call+" gRPC"], results[call+" HTTP"]
		verdict := "meets"
		if h.Rate < 0.4*g.Rate {
			verdict = "MISSES"
		}
		fmt.Printf("\n%s: HTTP/JSON through the gateway = %.2f× gRPC (%s the 0.4× target)", call, h.Rate/g.Rate, verdict)
	}
	fmt.Println()
	return nil
}

// runHTTP keeps workers requests in flight for dur over keep-alive
// connections, like ghz does over its gRPC connection.
func runHTTP(workers int, dur time.Duration, bearer string, newReq func() (*http.Request, error)) Figures {
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
	f := Figures{Calls: int64(len(latencies)) + errs.Load(), Errors: errs.Load()}
	f.Rate = float64(f.Calls) / elapsed.Seconds()
	if n := len(latencies); n > 0 {
		f.P50, f.P99 = latencies[n/2], latencies[n*99/100]
	}
	return f
}

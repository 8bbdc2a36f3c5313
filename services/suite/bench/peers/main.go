// Command peers runs the side-by-side table of `make bench-peers`: the
// databases a user would pick instead of sales-reporting, measured on the
// same workloads, on the same machine, in the same run, round after round,
// next to sales-reporting's own figures (from `alliance-bench sales`):
//
//   - durable single writes, 64 clients on one connection: etcd's put
//     (a Go client of go.etcd.io/etcd/client/v3, the shape of etcd's
//     `benchmark put --conns 1 --clients 64`) against RecordSale, and
//     RecordSale against the empty health RPC of the same client;
//   - bulk load of the replay's first -n lines with their unique key
//     (platform, external_id): PostgreSQL's COPY into a table with that
//     UNIQUE constraint, DuckDB's appender into a table with that PRIMARY
//     KEY, against ImportSales over one stream;
//   - storage per sale of those rows: PostgreSQL's table with its indexes,
//     DuckDB's file, sales.db with its indexes and rollups.
//
// It is a module of its own, outside go.work, so that pgx, DuckDB's
// bindings and etcd never enter the services' modules. It needs the
// PostgreSQL server binaries (Debian's postgresql package), an etcd binary
// (built from this module's tool directive) and bin/alliance-bench.
package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"

	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/duckdb/duckdb-go/v2"
	"github.com/jackc/pgx/v5"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

type options struct {
	bin, etcd, work string
	lines, puts     int
	clients, rounds int
	skip            string
}

func main() {
	var o options
	flag.StringVar(&o.bin, "bin", "bin", "folder of the suite's binaries (alliance-bench, the services, ghz)")
	flag.StringVar(&o.etcd, "etcd", "bin/etcd", "etcd binary")
	flag.StringVar(&o.work, "work", "", "folder for the peers' data (default: a temporary one, removed)")
	flag.IntVar(&o.lines, "n", 1_000_000, "sale lines of the bulk load")
	flag.IntVar(&o.puts, "puts", 20_000, "durable single writes per measurement")
	flag.IntVar(&o.clients, "c", 64, "concurrent clients of the single writes")
	flag.IntVar(&o.rounds, "rounds", 3, "rounds of every measurement")
	flag.StringVar(&o.skip, "skip", "", "comma-separated measurements to skip: writes, load")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "peers:", err)
		os.Exit(1)
	}
}

// figures is one measurement of alliance-bench or of a peer.
type figures struct {
	Calls  int64
	Errors int64
	Rate   float64
	P50    time.Duration
	P99    time.Duration
}

type round struct {
	uptime                       string
	etcd, record, health         figures
	recordGhz, healthGhz         figures
	pgRate, duckRate, ourRate    float64
	pgBytes, duckBytes, ourBytes float64
}

func run(o options) error {
	if o.work == "" {
		dir, err := os.MkdirTemp("", "alliance-peers-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		o.work = dir
	}
	// PostgreSQL runs as its own user, which must reach its folder.
	if err := os.Chmod(o.work, 0o755); err != nil {
		return err
	}
	skip := map[string]bool{}
	for _, s := range strings.Split(o.skip, ",") {
		skip[strings.TrimSpace(s)] = true
	}
	rows := filepath.Join(o.work, "rows.csv")
	if !skip["load"] {
		f, err := os.Create(rows)
		if err != nil {
			return err
		}
		cmd := exec.Command(filepath.Join(o.bin, "alliance-bench"), "rows", "-n", strconv.Itoa(o.lines))
		cmd.Stdout, cmd.Stderr = f, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("alliance-bench rows: %w", err)
		}
		f.Close()
	}
	var rounds []round
	for i := range o.rounds {
		r := round{uptime: uptime()}
		fmt.Fprintf(os.Stderr, "round %d of %d (%s)\n", i+1, o.rounds, r.uptime)
		if !skip["writes"] {
			var err error
			if r.etcd, err = etcdPut(o, filepath.Join(o.work, fmt.Sprintf("etcd-%d", i))); err != nil {
				return fmt.Errorf("etcd: %w", err)
			}
			ours, err := alliance(o, "record", o.puts)
			if err != nil {
				return err
			}
			r.record, r.health, r.recordGhz, r.healthGhz = ours.fig("record_go"), ours.fig("health_go"), ours.fig("record_ghz"), ours.fig("health_ghz")
		}
		if !skip["load"] {
			var err error
			if r.pgRate, r.pgBytes, err = postgresCopy(o, rows, filepath.Join(o.work, fmt.Sprintf("pg-%d", i))); err != nil {
				return fmt.Errorf("postgresql: %w", err)
			}
			if r.duckRate, r.duckBytes, err = duckLoad(rows, filepath.Join(o.work, fmt.Sprintf("duck-%d.db", i))); err != nil {
				return fmt.Errorf("duckdb: %w", err)
			}
			ours, err := alliance(o, "import", o.lines)
			if err != nil {
				return err
			}
			r.ourRate, r.ourBytes = ours.num("rate"), ours.num("bytes_per_sale")
		}
		rounds = append(rounds, r)
		print1(r, i+1, o)
	}
	fmt.Printf("\nafter the last round: %s\n", uptime())
	return nil
}

func print1(r round, i int, o options) {
	fmt.Printf("\n### Round %d (`uptime` before: %s)\n\n", i, r.uptime)
	fmt.Println("| measure | sales-reporting | peer | ratio |")
	fmt.Println("| --- | --- | --- | ---: |")
	if r.etcd.Rate > 0 {
		fmt.Printf("| durable single writes, %d clients, Go client | RecordSale %.0f/s, p50 %s, p99 %s | etcd put %.0f/s, p50 %s, p99 %s | **%.2f×** etcd |\n",
			o.clients, r.record.Rate, ms(r.record.P50), ms(r.record.P99), r.etcd.Rate, ms(r.etcd.P50), ms(r.etcd.P99), r.record.Rate/r.etcd.Rate)
		fmt.Printf("| RecordSale against the empty RPC, Go client | %.0f/s | Health/Check %.0f/s | **%.2f×** |\n", r.record.Rate, r.health.Rate, r.record.Rate/r.health.Rate)
		if r.healthGhz.Rate > 0 {
			fmt.Printf("| RecordSale against the empty RPC, ghz | %.0f/s, p99 %s | Health/Check %.0f/s | **%.2f×** |\n", r.recordGhz.Rate, ms(r.recordGhz.P99), r.healthGhz.Rate, r.recordGhz.Rate/r.healthGhz.Rate)
		}
	}
	if r.pgRate > 0 {
		fmt.Printf("| bulk load of %d replay lines, one stream, unique (platform, external_id) | ImportSales %.0f lines/s | PostgreSQL COPY %.0f rows/s; DuckDB appender %.0f rows/s | **%.2f×** PostgreSQL, %.2f× DuckDB |\n",
			o.lines, r.ourRate, r.pgRate, r.duckRate, r.ourRate/r.pgRate, r.ourRate/r.duckRate)
		fmt.Printf("| storage per sale of those lines | sales.db %.0f bytes (indexes, rollups) | PostgreSQL %.0f (table and indexes); DuckDB %.0f | %.2f× and %.2f× |\n",
			r.ourBytes, r.pgBytes, r.duckBytes, r.ourBytes/r.pgBytes, r.ourBytes/r.duckBytes)
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/1e6) }

func uptime() string {
	b, err := exec.Command("uptime").Output()
	if err != nil {
		return err.Error()
	}
	return strings.TrimSpace(string(b))
}

type result map[string]json.RawMessage

func (r result) fig(k string) figures {
	var f figures
	_ = json.Unmarshal(r[k], &f)
	return f
}

func (r result) num(k string) float64 {
	var v float64
	_ = json.Unmarshal(r[k], &v)
	return v
}

// alliance runs `alliance-bench sales` and reads its JSON.
func alliance(o options, what string, n int) (result, error) {
	cmd := exec.Command(filepath.Join(o.bin, "alliance-bench"), "sales", "-bin", o.bin, "-what", what, "-n", strconv.Itoa(n), "-c", strconv.Itoa(o.clients))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, os.Stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("alliance-bench sales -what %s: %w", what, err)
	}
	var r result
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		return nil, fmt.Errorf("alliance-bench sales -what %s: %w: %s", what, err, out.String())
	}
	return r, nil
}

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// etcdPut starts etcd on a fresh data folder (fsync on, as etcd always
// syncs its log) and puts o.puts keys from o.clients goroutines over one
// connection, each put a unique key with a value of a RecordSale's size.
func etcdPut(o options, dir string) (figures, error) {
	client, peer := freePort(), freePort()
	curl, purl := fmt.Sprintf("http://127.0.0.1:%d", client), fmt.Sprintf("http://127.0.0.1:%d", peer)
	cmd := exec.Command(o.etcd, "--data-dir", dir, "--listen-client-urls", curl, "--advertise-client-urls", curl,
		"--listen-peer-urls", purl, "--initial-advertise-peer-urls", purl, "--initial-cluster", "default="+purl,
		"--log-level", "error", "--quota-backend-bytes", strconv.Itoa(8<<30))
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return figures{}, err
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
		os.RemoveAll(dir)
	}()
	// The same client shape as ours: the suite's clients (kit/grpcx.Dial,
	// which alliance-bench uses) offer an 8 MiB stream and a 16 MiB
	// connection receive window, and so does etcd's client here, so that
	// neither side's figure comes from its flow-control settings.
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{curl}, DialTimeout: 10 * time.Second,
		DialOptions: []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials()),
			grpc.WithInitialWindowSize(8 << 20), grpc.WithInitialConnWindowSize(16 << 20)}})
	if err != nil {
		return figures{}, err
	}
	defer cli.Close()
	ctx := context.Background()
	for start := time.Now(); ; time.Sleep(50 * time.Millisecond) {
		if _, err := cli.Put(ctx, "warm", "up"); err == nil {
			break
		} else if time.Since(start) > 20*time.Second {
			return figures{}, fmt.Errorf("etcd did not answer: %w", err)
		}
	}
	value := strings.Repeat("v", 160)
	return load(o.clients, o.puts, func(w, i int) error {
		_, err := cli.Put(ctx, fmt.Sprintf("sales/%02d/%08d", w, i), value)
		return err
	}), nil
}

// load makes n calls over c workers and measures calls/s and latency.
func load(c, n int, call func(worker, i int) error) figures {
	var next, errs atomic.Int64
	lat := make([][]time.Duration, c)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range c {
		wg.Go(func() {
			for i := 0; next.Add(1) <= int64(n); i++ {
				t := time.Now()
				if err := call(w, i); err != nil && errs.Add(1) == 1 {
					fmt.Fprintln(os.Stderr, err)
				}
				lat[w] = append(lat[w], time.Since(t))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	all := slices.Concat(lat...)
	slices.Sort(all)
	return figures{Calls: int64(n), Errors: errs.Load(), Rate: float64(n) / elapsed.Seconds(), P50: all[len(all)/2], P99: all[len(all)*99/100]}
}

// pgBin finds the PostgreSQL server binaries Debian installs.
func pgBin() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.Sort(dirs)
	if len(dirs) == 0 {
		return "", errors.New("no PostgreSQL under /usr/lib/postgresql: apt-get install -y postgresql")
	}
	return dirs[len(dirs)-1], nil
}

// asPostgres runs a PostgreSQL binary as the postgres user when this runs
// as root: initdb refuses root.
func asPostgres(name string, args ...string) *exec.Cmd {
	if os.Geteuid() == 0 {
		return exec.Command("runuser", append([]string{"-u", "postgres", "--", name}, args...)...)
	}
	return exec.Command(name, args...)
}

func postgresOwn(dir string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return err
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Chown(p, uid, gid)
	})
}

type row struct {
	platform, ext, session, product, kind string
	qty, amount                           int64
	currency, refundOf                    string
	at                                    time.Time
}

// readRows reads the CSV of alliance-bench rows.
func readRows(path string) ([]row, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, err
	}
	out := make([]row, len(recs))
	for i, r := range recs {
		q, _ := strconv.ParseInt(r[5], 10, 64)
		a, _ := strconv.ParseInt(r[6], 10, 64)
		at, err := time.Parse(time.RFC3339Nano, r[9])
		if err != nil {
			return nil, err
		}
		out[i] = row{r[0], r[1], r[2], r[3], r[4], q, a, r[7], r[8], at}
	}
	return out, nil
}

const salesTable = `(platform text NOT NULL, external_id text NOT NULL, session text NOT NULL, product text NOT NULL,
	kind text NOT NULL, quantity bigint NOT NULL, amount bigint NOT NULL, currency text NOT NULL, refund_of text NOT NULL,
	event_time timestamptz NOT NULL, UNIQUE (platform, external_id))`

// postgresCopy makes a throwaway PostgreSQL cluster (fsync and synchronous
// commit on, the defaults) and COPYs the rows into a table with the unique
// key, in one transaction; it returns rows/s and the bytes per row of the
// table with its indexes.
func postgresCopy(o options, rowsCSV, dir string) (float64, float64, error) {
	bin, err := pgBin()
	if err != nil {
		return 0, 0, err
	}
	rows, err := readRows(rowsCSV)
	if err != nil {
		return 0, 0, err
	}
	sock := filepath.Join(dir, "sock")
	if err := os.MkdirAll(sock, 0o755); err != nil {
		return 0, 0, err
	}
	defer os.RemoveAll(dir)
	if err := postgresOwn(dir); err != nil {
		return 0, 0, err
	}
	data := filepath.Join(dir, "data")
	if out, err := asPostgres(filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "--auth", "trust").CombinedOutput(); err != nil {
		return 0, 0, fmt.Errorf("initdb: %w: %s", err, out)
	}
	port := freePort()
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses='' -c max_wal_size=4GB", port, sock)
	if out, err := asPostgres(filepath.Join(bin, "pg_ctl"), "-D", data, "-o", opts, "-w", "-l", filepath.Join(dir, "log"), "start").CombinedOutput(); err != nil {
		return 0, 0, fmt.Errorf("pg_ctl start: %w: %s", err, out)
	}
	defer asPostgres(filepath.Join(bin, "pg_ctl"), "-D", data, "-m", "fast", "-w", "stop").Run()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, fmt.Sprintf("host=%s port=%d user=postgres dbname=postgres", sock, port))
	if err != nil {
		return 0, 0, err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE TABLE sales "+salesTable); err != nil {
		return 0, 0, err
	}
	start := time.Now()
	n, err := conn.CopyFrom(ctx, pgx.Identifier{"sales"},
		[]string{"platform", "external_id", "session", "product", "kind", "quantity", "amount", "currency", "refund_of", "event_time"},
		pgx.CopyFromSlice(len(rows), func(i int) ([]any, error) {
			r := &rows[i]
			return []any{r.platform, r.ext, r.session, r.product, r.kind, r.qty, r.amount, r.currency, r.refundOf, r.at}, nil
		}))
	if err != nil {
		return 0, 0, err
	}
	rate := float64(n) / time.Since(start).Seconds()
	if _, err := conn.Exec(ctx, "VACUUM ANALYZE sales"); err != nil {
		return 0, 0, err
	}
	var size int64
	if err := conn.QueryRow(ctx, "SELECT pg_total_relation_size('sales')").Scan(&size); err != nil {
		return 0, 0, err
	}
	return rate, float64(size) / float64(n), nil
}

// duckLoad appends the rows to a DuckDB file with the unique key as its
// primary key and returns rows/s (the commit included) and the file's
// bytes per row after a checkpoint.
func duckLoad(rowsCSV, path string) (float64, float64, error) {
	rows, err := readRows(rowsCSV)
	if err != nil {
		return 0, 0, err
	}
	defer os.Remove(path)
	defer os.Remove(path + ".wal")
	connector, err := duckdb.NewConnector(path, nil)
	if err != nil {
		return 0, 0, err
	}
	db := sql.OpenDB(connector)
	defer db.Close()
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, "CREATE TABLE sales (platform VARCHAR NOT NULL, external_id VARCHAR NOT NULL, session VARCHAR NOT NULL, product VARCHAR NOT NULL, kind VARCHAR NOT NULL, quantity BIGINT NOT NULL, amount BIGINT NOT NULL, currency VARCHAR NOT NULL, refund_of VARCHAR NOT NULL, event_time TIMESTAMPTZ NOT NULL, PRIMARY KEY (platform, external_id))"); err != nil {
		return 0, 0, err
	}
	conn, err := connector.Connect(ctx)
	if err != nil {
		return 0, 0, err
	}
	start := time.Now()
	app, err := duckdb.NewAppenderFromConn(conn, "", "sales")
	if err != nil {
		return 0, 0, err
	}
	for i := range rows {
		r := &rows[i]
		if err := app.AppendRow(r.platform, r.ext, r.session, r.product, r.kind, r.qty, r.amount, r.currency, r.refundOf, r.at); err != nil {
			return 0, 0, err
		}
	}
	if err := app.Close(); err != nil {
		return 0, 0, err
	}
	conn.Close()
	rate := float64(len(rows)) / time.Since(start).Seconds()
	if _, err := db.ExecContext(ctx, "CHECKPOINT"); err != nil {
		return 0, 0, err
	}
	db.Close()
	fi, err := os.Stat(path)
	if err != nil {
		return 0, 0, err
	}
	return rate, float64(fi.Size()) / float64(len(rows)), nil
}

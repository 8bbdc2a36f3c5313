// Command alliance-bench is the one entry point of the suite's benchmarks
// against real processes (services/suite/bench); `make bench` runs them
// all, with the in-process Go benchmarks, into bench results.
//
//	alliance-bench writes  [-bin bin] [-n 20000] [-c 64] [-lines 200000] [-out file]
//	alliance-bench gateway [-bin bin] [-duration 10s] [-c 64] [-rounds 2]
//	alliance-bench ghzdata [-n 20000] [-session ...] [-product ...] > requests.bin
//	alliance-bench sales   [-bin bin] [-what record|import] [-n 20000] [-c 64]
//	alliance-bench rows    [-n 1000000] > rows.csv
//
// Each subcommand's -h lists its flags.
package main

import (
	"fmt"
	"os"
	"slices"

	"github.com/cqlive/alliance/services/kit/service"
	"github.com/cqlive/alliance/services/suite/bench"
)

type subcommand struct {
	name, what string
	run        func(args []string) error
}

var subcommands = []subcommand{
	{"writes", "floors (empty RPC, fsync) and the write paths against them", bench.Writes},
	{"gateway", "RecordSale and GetMember through the gateway against gRPC", bench.Gateway},
	{"ghzdata", "RecordSale requests for ghz --binary-file, on stdout", bench.GHZData},
	{"sales", "RecordSale (Go client and ghz) or ImportSales of replay lines, as JSON, for make bench-peers", bench.Sales},
	{"rows", "the first -n lines of the 2020 replay as CSV, for the peers", bench.Rows},
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: alliance-bench <subcommand> [flags]")
	for _, s := range subcommands {
		fmt.Fprintf(os.Stderr, "  %-8s %s\n", s.name, s.what)
	}
}

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	i := slices.IndexFunc(subcommands, func(s subcommand) bool { return s.name == os.Args[1] })
	if i < 0 {
		usage()
		os.Exit(2)
	}
	service.Exit("alliance-bench "+os.Args[1], subcommands[i].run(os.Args[2:]))
}

package bench

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	typev1 "github.com/cqlive/alliance/gen/pb/alliance/type/v1"
	"google.golang.org/protobuf/encoding/protodelim"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// GHZData writes -n RecordSaleRequests, each with its own external_id, as
// length-delimited binary messages on stdout: the input of
// `ghz --binary-file`, which sends them round-robin. Unlike a --data
// template, ghz then spends no CPU rendering and parsing JSON per call, so
// on a small machine the figure is the server's, not the load generator's.
func GHZData(args []string) error {
	fs := flag.NewFlagSet("alliance-bench ghzdata", flag.ContinueOnError)
	n := fs.Int("n", 20000, "messages")
	session := fs.String("session", "sessions/bench", "session of every sale")
	product := fs.String("product", "members/bench-farm/products/tea", "product of every sale")
	prefix := fs.String("prefix", "bin", "external_id prefix")
	at := fs.String("event-time", "", "event time, RFC 3339 (default now)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	when := time.Now()
	if *at != "" {
		var err error
		if when, err = time.Parse(time.RFC3339, *at); err != nil {
			return err
		}
	}
	return writeRecordSales(os.Stdout, *n, *session, *product, *prefix, when)
}

func writeRecordSales(out io.Writer, n int, session, product, prefix string, when time.Time) error {
	w := bufio.NewWriter(out)
	for i := range n {
		req := &salesv1.RecordSaleRequest{Sale: &salesv1.Sale{
			Session: session, Product: product, Kind: salesv1.SaleKind_SALE_KIND_ORDER, Quantity: 1,
			Amount: &typev1.Money{CurrencyCode: "CNY", MinorUnits: 1000}, Platform: typev1.Platform_PLATFORM_DOUYIN,
			ExternalId: fmt.Sprintf("%s-%d", prefix, i), EventTime: timestamppb.New(when),
		}}
		if _, err := protodelim.MarshalTo(w, req); err != nil {
			return err
		}
	}
	return w.Flush()
}

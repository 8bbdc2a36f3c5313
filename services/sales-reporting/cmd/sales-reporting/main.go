// Command sales-reporting serves alliance.sales.v1.SalesReporting.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/cqlive/alliance/services/sales-reporting/app"
)

func main() {
	if err := app.Main(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "sales-reporting:", err)
		os.Exit(1)
	}
}

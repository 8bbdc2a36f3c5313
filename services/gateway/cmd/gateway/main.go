// Command gateway serves the HTTP/JSON routes of the alliance suite and
// forwards each call over gRPC to member-registry, session-scheduling and
// sales-reporting.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/cqlive/alliance/services/gateway/app"
)

func main() {
	if err := app.Main(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "gateway:", err)
		os.Exit(1)
	}
}

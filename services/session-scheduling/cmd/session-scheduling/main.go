// Command session-scheduling serves alliance.session.v1.SessionScheduler.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/cqlive/alliance/services/session-scheduling/app"
)

func main() {
	if err := app.Main(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "session-scheduling:", err)
		os.Exit(1)
	}
}

// Command member-registry serves alliance.member.v1.MemberRegistry.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/cqlive/alliance/services/member-registry/app"
)

func main() {
	if err := app.Main(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "member-registry:", err)
		os.Exit(1)
	}
}

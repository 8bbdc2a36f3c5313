// Command gateway serves the HTTP/JSON routes of the alliance suite and
// forwards each call over gRPC to member-registry, session-scheduling and
// sales-reporting.
package main

import (
	"os"

	"github.com/cqlive/alliance/services/gateway/app"
	"github.com/cqlive/alliance/services/kit/service"
)

func main() { service.Exit("gateway", app.Main(os.Args[1:])) }

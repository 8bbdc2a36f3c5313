// Command session-scheduling serves alliance.session.v1.SessionScheduler.
package main

import (
	"os"

	"github.com/cqlive/alliance/services/kit/service"
	"github.com/cqlive/alliance/services/session-scheduling/app"
)

func main() { service.Exit("session-scheduling", app.Main(os.Args[1:])) }

// Command sales-reporting serves alliance.sales.v1.SalesReporting.
package main

import (
	"os"

	"github.com/cqlive/alliance/services/kit/service"
	"github.com/cqlive/alliance/services/sales-reporting/app"
)

func main() { service.Exit("sales-reporting", app.Main(os.Args[1:])) }

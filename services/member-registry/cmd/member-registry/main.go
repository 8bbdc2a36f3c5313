// Command member-registry serves alliance.member.v1.MemberRegistry.
package main

import (
	"os"

	"github.com/cqlive/alliance/services/kit/service"
	"github.com/cqlive/alliance/services/member-registry/app"
)

func main() { service.Exit("member-registry", app.Main(os.Args[1:])) }

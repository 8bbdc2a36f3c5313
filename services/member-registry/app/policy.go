package app

import "github.com/cqlive/alliance/services/member-registry/internal/rpc"

// Policy is the service's table of who may call what, and which methods
// write (see rpc.Policy), for the suite's end-to-end auth sweep.
var Policy = rpc.Policy

module github.com/cqlive/alliance/services/gateway

go 1.26.0

require (
	github.com/cqlive/alliance/gen v0.0.0
	github.com/cqlive/alliance/services/console v0.0.0
	github.com/cqlive/alliance/services/kit v0.0.0
	github.com/grpc-ecosystem/grpc-gateway/v2 v2.33.0
	google.golang.org/genproto/googleapis/rpc v0.0.0-20261019180522-ce908d29299b
	google.golang.org/grpc v1.85.0
	google.golang.org/protobuf v1.36.12
)

require (
	github.com/hashicorp/golang-lru/v2 v2.0.7 // indirect
	go.etcd.io/bbolt v1.4.3 // indirect
	golang.org/x/net v0.61.0 // indirect
	golang.org/x/sync v0.24.0 // indirect
	golang.org/x/sys v0.49.0 // indirect
	golang.org/x/text v0.43.0 // indirect
	google.golang.org/genproto/googleapis/api v0.0.0-20261026165753-2ffab32bce7e // indirect
)

// The repository's own modules, outside a workspace (GOWORK=off).
replace (
	github.com/cqlive/alliance/gen => ../../gen
	github.com/cqlive/alliance/services/console => ../console
	github.com/cqlive/alliance/services/kit => ../kit
)

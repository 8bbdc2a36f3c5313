module github.com/cqlive/alliance/services/sales-reporting

go 1.26.0

replace (
	github.com/cqlive/alliance/gen => ../../gen
	github.com/cqlive/alliance/services/kit => ../kit
	github.com/cqlive/alliance/services/member-registry => ../member-registry
	github.com/cqlive/alliance/services/session-scheduling => ../session-scheduling
	github.com/cqlive/alliance/services/sales-reporting => ../sales-reporting
	github.com/cqlive/alliance/services/gateway => ../gateway
)

require (
	github.com/cqlive/alliance/gen v0.0.0
	github.com/cqlive/alliance/services/kit v0.0.0
	github.com/cqlive/alliance/services/member-registry v0.0.0
	github.com/cqlive/alliance/services/session-scheduling v0.0.0
	go.etcd.io/bbolt v1.4.3
	google.golang.org/grpc v1.85.0
	google.golang.org/protobuf v1.36.12
)

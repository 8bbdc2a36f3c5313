module github.com/cqlive/alliance/services/gateway

go 1.26.0

replace (
	github.com/cqlive/alliance/gen => ../../gen
	github.com/cqlive/alliance/services/kit => ../kit
	github.com/cqlive/alliance/services/member-registry => ../member-registry
	github.com/cqlive/alliance/services/session-scheduling => ../session-scheduling
	github.com/cqlive/alliance/services/sales-reporting => ../sales-reporting
	github.com/cqlive/alliance/services/gateway => ../gateway
)

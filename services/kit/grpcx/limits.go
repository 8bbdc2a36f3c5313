package grpcx

import (
	"fmt"
	"strconv"
	"time"

	"github.com/cqlive/alliance/services/kit/config"
	"github.com/cqlive/alliance/services/kit/fault"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"
)

// ServerDomain is the ErrorInfo domain of the refusals a server makes
// itself, before any service's code runs: a request that is not a valid
// message, a limit reached.
const ServerDomain = "server.alliance"

// Limits bound what one client can make a server hold: streams,
// connections, message sizes. Anonymous callers reach every server
// (health checks need no key), so none of these may be unbounded. A zero
// field takes its default (the Default… constants); a negative duration
// turns that limit off.
type Limits struct {
	// MaxConcurrentStreams is the number of calls one connection may have in
	// flight (HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS). grpc-go clients wait
	// for a free slot; a client that ignores the setting gets REFUSED_STREAM.
	MaxConcurrentStreams uint32
	// MaxHealthWatchers is the number of grpc.health.v1 Watch streams the
	// server keeps open at once, over all connections; one more is
	// RESOURCE_EXHAUSTED, reason TOO_MANY_HEALTH_WATCHERS. Check is not limited.
	MaxHealthWatchers int
	// MaxRecvMsgSize and MaxSendMsgSize bound one message, in bytes; a larger
	// one is RESOURCE_EXHAUSTED.
	MaxRecvMsgSize int
	MaxSendMsgSize int
	// MaxHeaderListSize bounds the metadata (headers) of one call, in bytes.
	MaxHeaderListSize uint32
	// KeepaliveMinTime is the shortest interval between a client's pings that
	// the server accepts; a client that pings more often is disconnected
	// (GOAWAY too_many_pings). Pings while no call is in flight are refused
	// the same way unless KeepalivePermitWithoutStream is set.
	KeepaliveMinTime             time.Duration
	KeepalivePermitWithoutStream bool
	// KeepaliveTime and KeepaliveTimeout: after KeepaliveTime without
	// traffic the server pings the client, and closes the connection when
	// no answer comes within KeepaliveTimeout, so a vanished peer's streams
	// are released.
	KeepaliveTime    time.Duration
	KeepaliveTimeout time.Duration
	// MaxConnectionIdle closes a connection that has had no call in flight
	// for that long; clients reconnect on their next call.
	MaxConnectionIdle time.Duration
	// MaxConnectionAge asks a connection to close (GOAWAY) at that age, ±10%;
	// its calls in flight get MaxConnectionAgeGrace more to finish, then the
	// connection is cut. No stream, a Watch or an import included, outlives
	// age + grace; clients move to a new connection on their own.
	MaxConnectionAge      time.Duration
	MaxConnectionAgeGrace time.Duration
	// ConnectionTimeout bounds a new connection's handshake (TLS and the
	// HTTP/2 preface), so a client that connects and sends nothing does
	// not hold the connection.
	ConnectionTimeout time.Duration
}

// Defaults of Limits.
const (
	DefaultMaxConcurrentStreams  = 256
	DefaultMaxHealthWatchers     = 100
	DefaultMaxMsgSize            = 4 << 20 // gRPC's usual receive limit, for both directions
	DefaultMaxHeaderListSize     = 256 << 10
	DefaultKeepaliveMinTime      = 10 * time.Second
	DefaultKeepaliveTime         = time.Minute
	DefaultKeepaliveTimeout      = 20 * time.Second
	DefaultMaxConnectionIdle     = 5 * time.Minute
	DefaultMaxConnectionAge      = time.Hour
	DefaultMaxConnectionAgeGrace = 5 * time.Minute
	DefaultConnectionTimeout     = 10 * time.Second
)

// maxHealthServiceName bounds the service name of a Watch: every watcher
// keeps its name in memory, and no service of the suite has a longer one.
const maxHealthServiceName = 256

// withDefaults fills the zero fields (and the counts and sizes that are
// not positive, which bound nothing); a negative duration stays, to turn
// its limit off (see off).
func (l Limits) withDefaults() Limits {
	config.OrDefault(&l.MaxConcurrentStreams, DefaultMaxConcurrentStreams)
	config.PositiveOr(&l.MaxHealthWatchers, DefaultMaxHealthWatchers)
	config.PositiveOr(&l.MaxRecvMsgSize, DefaultMaxMsgSize)
	config.PositiveOr(&l.MaxSendMsgSize, DefaultMaxMsgSize)
	config.OrDefault(&l.MaxHeaderListSize, DefaultMaxHeaderListSize)
	// The durations: zero is "left out", negative is "off".
	for _, d := range []struct {
		field *time.Duration
		def   time.Duration
	}{
		{&l.KeepaliveMinTime, DefaultKeepaliveMinTime},
		{&l.KeepaliveTime, DefaultKeepaliveTime},
		{&l.KeepaliveTimeout, DefaultKeepaliveTimeout},
		{&l.MaxConnectionIdle, DefaultMaxConnectionIdle},
		{&l.MaxConnectionAge, DefaultMaxConnectionAge},
		{&l.MaxConnectionAgeGrace, DefaultMaxConnectionAgeGrace},
		{&l.ConnectionTimeout, DefaultConnectionTimeout},
	} {
		config.OrDefault(d.field, d.def)
	}
	return l
}

// off turns a negative duration into gRPC's "no limit".
func off(d time.Duration) time.Duration {
	if d < 0 {
		return time.Duration(1<<63 - 1)
	}
	return d
}

// minTime: gRPC reads a MinTime of 0 as its default of 5 minutes, so "no
// limit" is the shortest positive interval.
func minTime(d time.Duration) time.Duration {
	if d < 0 {
		return time.Nanosecond
	}
	return d
}

// serverOptions are the grpc.ServerOptions that enforce l (with defaults applied).
func (l Limits) serverOptions() []grpc.ServerOption {
	return []grpc.ServerOption{
		grpc.MaxConcurrentStreams(l.MaxConcurrentStreams),
		grpc.MaxRecvMsgSize(l.MaxRecvMsgSize),
		grpc.MaxSendMsgSize(l.MaxSendMsgSize),
		grpc.MaxHeaderListSize(l.MaxHeaderListSize),
		grpc.ConnectionTimeout(off(l.ConnectionTimeout)),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{
			MinTime:             minTime(l.KeepaliveMinTime),
			PermitWithoutStream: l.KeepalivePermitWithoutStream,
		}),
		grpc.KeepaliveParams(keepalive.ServerParameters{
			MaxConnectionIdle:     off(l.MaxConnectionIdle),
			MaxConnectionAge:      off(l.MaxConnectionAge),
			MaxConnectionAgeGrace: off(l.MaxConnectionAgeGrace),
			Time:                  off(l.KeepaliveTime),
			Timeout:               off(l.KeepaliveTimeout),
		}),
	}
}

// cappedHealth is grpc.health.v1 with a bound on open Watch streams. Each
// watcher holds a stream, a goroutine and its buffers for as long as the
// client likes, and Watch needs no key: without a cap, one connection's
// worth of anonymous watchers grows the server without limit.
type cappedHealth struct {
	*health.Server
	slots chan struct{}
}

func newCappedHealth(hs *health.Server, n int) *cappedHealth {
	return &cappedHealth{Server: hs, slots: make(chan struct{}, n)}
}

// Watch implements healthpb.HealthServer.
func (h *cappedHealth) Watch(in *healthpb.HealthCheckRequest, stream healthpb.Health_WatchServer) error {
	if len(in.GetService()) > maxHealthServiceName {
		return FaultStatus(ServerDomain, &fault.Error{
			Code: fault.InvalidArgument, Reason: fault.ReasonInvalidArgument, Message: "invalid service",
			Violations: []fault.FieldViolation{{Field: "service",
				Description: fmt.Sprintf("is longer than %d bytes; no service has such a name", maxHealthServiceName)}},
		}).Err()
	}
	select {
	case h.slots <- struct{}{}:
	default:
		n := cap(h.slots)
		return FaultStatus(ServerDomain, &fault.Error{
			Code:     fault.ResourceExhausted,
			Reason:   fault.ReasonTooManyHealthWatchers,
			Message:  fmt.Sprintf("the server already serves %d health watchers; use Check, or Watch again later", n),
			Metadata: map[string]string{"max_health_watchers": strconv.Itoa(n)},
		}).Err()
	}
	defer func() { <-h.slots }()
	return h.Server.Watch(in, stream)
}

package fault

import (
	"fmt"
	"regexp"
)

// Reason is the machine-readable cause of a fault: ErrorInfo.reason on
// the wire, UPPER_SNAKE (ETAG_MISMATCH). Every reason is a value declared
// once, by Define on the list of its API, so that code names reasons by
// identifier and a misspelt one does not compile: there is no way to turn
// a string literal into a Reason where a fault is made.
//
// Each list is published as an enum ErrorReason in the protos (the
// suite's in alliance.type.v1, each service's in its own package), whose
// values are the reasons with the prefix ERROR_REASON_ that buf's lint
// asks for (kit/protoconv.EnumName takes it off). A test per list checks,
// with kit/fault/reasontest, that the two hold the same names. The
// domain packages use the values declared here rather than the generated
// enum, so that they import neither proto nor gRPC.
//
// The zero Reason is none: the status then carries the name of its code.
type Reason struct{ name string }

// String is the reason as ErrorInfo carries it.
func (r Reason) String() string { return r.name }

// Reasons is the list of reasons of one API: the suite's (SuiteReasons)
// or one service's. Declare a list as a package variable and its reasons
// with Define in the variable declarations beside it.
type Reasons struct {
	list  []Reason
	names map[string]bool
	suite bool
}

var upperSnake = regexp.MustCompile(`^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$`)

// Define declares a reason of the list. A name that is not UPPER_SNAKE,
// that the list already has, or (for a service's list) that is one of the
// suite's reasons is a programming error, and panics when the package is
// initialised: the suite's reasons are spelled once, in this package.
func (rs *Reasons) Define(name string) Reason {
	if !upperSnake.MatchString(name) {
		panic(fmt.Sprintf("fault: reason %q is not UPPER_SNAKE", name))
	}
	if rs.names[name] {
		panic(fmt.Sprintf("fault: reason %s is defined twice", name))
	}
	if !rs.suite && suite.names[name] {
		panic(fmt.Sprintf("fault: reason %s is one of the suite's; use fault.Reason%s's value", name, name))
	}
	if rs.names == nil {
		rs.names = map[string]bool{}
	}
	rs.names[name] = true
	r := Reason{name: name}
	rs.list = append(rs.list, r)
	return r
}

// All returns the reasons in the order they were defined.
func (rs *Reasons) All() []Reason { return append([]Reason(nil), rs.list...) }

// suite is the list of the reasons every service may give: those of the
// kit's own checks (authentication, malformed requests, etags, masks,
// dependencies), the gateway's, and the names of the status codes.
var suite = Reasons{suite: true}

// codeReasons are the reasons named after a status code (google.rpc.Code
// numbers 1-16): what a status carries that has no more specific reason.
var codeReasons = func() (out [len(rpcCodeNames)]Reason) {
	for n := 1; n < len(rpcCodeNames); n++ {
		out[n] = suite.Define(rpcCodeNames[n])
	}
	return out
}()

// CodeReason is the reason named after google.rpc.Code number n, e.g.
// UNIMPLEMENTED; UNKNOWN for OK or a number outside google.rpc.Code.
func CodeReason(n uint32) Reason {
	if n == 0 || int(n) >= len(codeReasons) {
		return codeReasons[2]
	}
	return codeReasons[n]
}

// The suite's reasons that code names. Those that are a code's name come
// from CodeReason, so each is spelled once.
var (
	ReasonInvalidArgument  = CodeReason(rpcNumbers[InvalidArgument])
	ReasonPermissionDenied = CodeReason(rpcNumbers[PermissionDenied])
	ReasonUnauthenticated  = CodeReason(rpcNumbers[Unauthenticated])
	ReasonInternal         = CodeReason(rpcNumbers[Internal])

	// The request's bytes do not decode as its message, or a string in it
	// is not UTF-8; over HTTP, a body that is not the message's JSON.
	ReasonMalformedRequest = suite.Define("MALFORMED_REQUEST")
	// A member or staff key that is wrong, revoked or of a withdrawn member
	// (the suite's services see it; a caller is told UNAUTHENTICATED).
	ReasonInvalidAPIKey = suite.Define("INVALID_API_KEY")
	// No key has this id: member-registry tells the other services, which
	// then refuse any secret under it without asking again; also an
	// unknown key in RevokeApiKey.
	ReasonAPIKeyNotFound = suite.Define("API_KEY_NOT_FOUND")
	// A STAFF_READONLY key may read everything and write nothing.
	ReasonReadOnlyKey = suite.Define("READ_ONLY_KEY")
	// A SUSPENDED member's keys may read but not write.
	ReasonMemberSuspended = suite.Define("MEMBER_SUSPENDED")
	// A service this one needs did not answer (ErrorInfo metadata
	// "service" names it); nothing was changed.
	ReasonDependencyUnavailable = suite.Define("DEPENDENCY_UNAVAILABLE")
	// A service this one needs answered with an error it should not have.
	ReasonDependencyFailed = suite.Define("DEPENDENCY_FAILED")
	// The etag sent is not the resource's current one (AIP-154), or the
	// resource changed while the call worked on it: read it again.
	ReasonETagMismatch = suite.Define("ETAG_MISMATCH")
	// An update_mask names a field that is fixed at creation.
	ReasonImmutableField = suite.Define("IMMUTABLE_FIELD")
	// A server serves a bounded number of health watchers at once.
	ReasonTooManyHealthWatchers = suite.Define("TOO_MANY_HEALTH_WATCHERS")

	// The gateway's own answers over HTTP.
	ReasonRouteNotFound        = suite.Define("ROUTE_NOT_FOUND")
	ReasonMethodNotAllowed     = suite.Define("METHOD_NOT_ALLOWED")
	ReasonServiceUnavailable   = suite.Define("SERVICE_UNAVAILABLE")
	ReasonRequestBodyTooLarge  = suite.Define("REQUEST_BODY_TOO_LARGE")
	ReasonRequestReadTimeout   = suite.Define("REQUEST_READ_TIMEOUT")
	ReasonCORSOriginNotAllowed = suite.Define("CORS_ORIGIN_NOT_ALLOWED")
	ReasonConsoleFileNotFound  = suite.Define("FILE_NOT_FOUND")
)

// SuiteReasons lists the suite's reasons, in the order of definition.
func SuiteReasons() []Reason { return suite.All() }

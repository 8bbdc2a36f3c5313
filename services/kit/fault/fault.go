// Package fault is how domain code says no. It knows nothing of gRPC: the
// domain packages return *fault.Error, and grpcx.Status turns it into a gRPC
// status with ErrorInfo and BadRequest details in exactly one place.
package fault

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Code is the class of a failure: the google.rpc.Code a status carries.
// Its zero value is Internal, so that a fault made without a code never
// reads as success.
type Code int

const (
	Internal Code = iota
	InvalidArgument
	NotFound
	AlreadyExists
	FailedPrecondition
	Aborted
	Unavailable
	Unauthenticated
	PermissionDenied
	DeadlineExceeded
	ResourceExhausted
)

// rpcNumbers are the google.rpc.Code numbers of the codes.
var rpcNumbers = [...]uint32{
	Internal: 13, InvalidArgument: 3, NotFound: 5, AlreadyExists: 6, FailedPrecondition: 9, Aborted: 10,
	Unavailable: 14, Unauthenticated: 16, PermissionDenied: 7, DeadlineExceeded: 4, ResourceExhausted: 8,
}

// RPC is the google.rpc.Code number of c; INTERNAL for a code outside the list.
func (c Code) RPC() uint32 {
	if c < 0 || int(c) >= len(rpcNumbers) {
		return rpcNumbers[Internal]
	}
	return rpcNumbers[c]
}

func (c Code) String() string {
	if c < 0 || int(c) >= len(rpcNumbers) {
		return fmt.Sprintf("Code(%d)", int(c))
	}
	return RPCCodeName(c.RPC())
}

// rpcCodeNames are google.rpc.Code's names, by number: the one place the
// suite spells them.
var rpcCodeNames = [...]string{"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
	"NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
	"ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"}

// RPCCodeName is the UPPER_SNAKE name google.rpc.Code gives number n
// (CANCELLED, not grpc-go's Canceled); UNKNOWN for a number outside it.
func RPCCodeName(n uint32) string {
	if int(n) < len(rpcCodeNames) {
		return rpcCodeNames[n]
	}
	return rpcCodeNames[2]
}

// FieldViolation names one bad field of a request, by its proto field path
// (e.g. "member.display_name").
type FieldViolation struct {
	Field       string
	Description string
}

// Error is a domain failure with a machine-readable reason (see Reason).
type Error struct {
	Code       Code
	Reason     Reason
	Message    string
	Violations []FieldViolation
	Metadata   map[string]string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Code.String())
	if e.Reason.name != "" {
		b.WriteString(" ")
		b.WriteString(e.Reason.name)
	}
	b.WriteString(": ")
	b.WriteString(e.Message)
	for _, v := range e.Violations {
		fmt.Fprintf(&b, "; %s: %s", v.Field, v.Description)
	}
	return b.String()
}

// New makes an error with a reason and a formatted message.
func New(code Code, reason Reason, format string, args ...any) *Error {
	return &Error{Code: code, Reason: reason, Message: fmt.Sprintf(format, args...)}
}

// With returns a copy of e carrying one more metadata entry.
func (e *Error) With(key, value string) *Error {
	c := *e
	c.Metadata = make(map[string]string, len(e.Metadata)+1)
	for k, v := range e.Metadata {
		c.Metadata[k] = v
	}
	c.Metadata[key] = value
	return &c
}

// As returns the *Error inside err, if there is one.
func As(err error) (*Error, bool) {
	var fe *Error
	ok := errors.As(err, &fe)
	return fe, ok
}

// ReasonOf is the reason err carries; the zero Reason for an error that
// is not a *Error (or nil).
func ReasonOf(err error) Reason {
	if fe, ok := As(err); ok {
		return fe.Reason
	}
	return Reason{}
}

// Is reports whether err carries the given reason.
func Is(err error, reason Reason) bool {
	fe, ok := As(err)
	return ok && fe.Reason == reason
}

// CodeOf is the code of err: Internal for anything that is not a *Error.
func CodeOf(err error) Code {
	if fe, ok := As(err); ok {
		return fe.Code
	}
	return Internal
}

// Invalid collects field violations; Err returns nil when there are none.
// It lets a validator report every bad field at once.
type Invalid struct {
	violations []FieldViolation
}

// Add records a violation of field.
func (v *Invalid) Add(field, format string, args ...any) {
	v.violations = append(v.violations, FieldViolation{Field: field, Description: fmt.Sprintf(format, args...)})
}

// Empty reports whether nothing was added.
func (v *Invalid) Empty() bool { return len(v.violations) == 0 }

// Err is INVALID_ARGUMENT, reason INVALID_ARGUMENT, with every violation, or nil.
func (v *Invalid) Err() error {
	if len(v.violations) == 0 {
		return nil
	}
	fields := make([]string, 0, len(v.violations))
	for _, fv := range v.violations {
		fields = append(fields, fv.Field)
	}
	sort.Strings(fields)
	return &Error{
		Code:       InvalidArgument,
		Reason:     ReasonInvalidArgument,
		Message:    "invalid " + strings.Join(fields, ", "),
		Violations: append([]FieldViolation(nil), v.violations...),
	}
}

// InvalidField is a shortcut for one bad field.
func InvalidField(field, format string, args ...any) error {
	var v Invalid
	v.Add(field, format, args...)
	return v.Err()
}

// Package grpcx is the gRPC side of the kit: statuses from domain faults,
// interceptors, and the server bootstrap every service uses.
package grpcx

import (
	"context"
	"errors"
	"log/slog"

	"github.com/cqlive/alliance/services/kit/fault"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/protoadapt"
)

// Status turns any error into a gRPC status error for domain (e.g.
// "member.alliance"). A *fault.Error keeps its code and reason and gains
// ErrorInfo and BadRequest details. A status error passes through. Context
// errors become CANCELLED or DEADLINE_EXCEEDED. Anything else is logged and
// becomes a bare INTERNAL, so no internal detail reaches the caller.
func Status(ctx context.Context, domain string, err error) error {
	if err == nil {
		return nil
	}
	if fe, ok := fault.As(err); ok {
		return FaultStatus(domain, fe).Err()
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	switch {
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, "the call was cancelled")
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, "the deadline passed before the call finished")
	}
	logCause(ctx, slog.LevelError, "internal error", err)
	st, _ := status.New(codes.Internal, "internal error; see the server log for request "+RequestID(ctx)).
		WithDetails(&errdetails.ErrorInfo{Reason: fault.ReasonInternal.String(), Domain: domain})
	return st.Err()
}

// logCause puts err on this call's log line (see logCall), never in the
// answer; outside a call, or once that line is written (work the call
// left running), it logs it on a line of its own, as msg at level.
func logCause(ctx context.Context, level slog.Level, msg string, err error) {
	if cs, ok := ctx.Value(callStateKey{}).(*callState); ok && cs.setCause(err) {
		return
	}
	slog.Log(ctx, level, msg, "err", err.Error(), "request_id", RequestID(ctx))
}

// FaultStatus builds the status of a domain fault. A fault's code is a
// google.rpc.Code, which is what a gRPC code is; a fault without a reason
// carries its code's name.
func FaultStatus(domain string, fe *fault.Error) *status.Status {
	code := codes.Code(fe.Code.RPC())
	st := status.New(code, fe.Message)
	reason := fe.Reason
	if reason == (fault.Reason{}) {
		reason = fault.CodeReason(uint32(code))
	}
	details := []protoadapt.MessageV1{&errdetails.ErrorInfo{Reason: reason.String(), Domain: domain, Metadata: fe.Metadata}}
	if len(fe.Violations) > 0 {
		br := &errdetails.BadRequest{}
		for _, v := range fe.Violations {
			br.FieldViolations = append(br.FieldViolations,
				&errdetails.BadRequest_FieldViolation{Field: v.Field, Description: v.Description})
		}
		details = append(details, br)
	}
	withDetails, err := st.WithDetails(details...)
	if err != nil {
		return st
	}
	return withDetails
}

// ErrorInfo returns the ErrorInfo detail of a status error, or nil.
func ErrorInfo(err error) *errdetails.ErrorInfo {
	st, ok := status.FromError(err)
	if !ok {
		return nil
	}
	for _, d := range st.Details() {
		if ei, ok := d.(*errdetails.ErrorInfo); ok {
			return ei
		}
	}
	return nil
}

// Reason is the ErrorInfo reason of a status error, or "".
func Reason(err error) string {
	if ei := ErrorInfo(err); ei != nil {
		return ei.GetReason()
	}
	return ""
}

// FieldViolations returns the BadRequest field names of a status error.
func FieldViolations(err error) []string {
	st, ok := status.FromError(err)
	if !ok {
		return nil
	}
	var fields []string
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, fv := range br.GetFieldViolations() {
				fields = append(fields, fv.GetField())
			}
		}
	}
	return fields
}

// CodeName is the UPPER_SNAKE name of a gRPC code as google.rpc.Code
// spells it (CANCELLED), which is how import answers report a refused
// line; UNKNOWN for a code outside google.rpc.Code.
func CodeName(c codes.Code) string { return fault.RPCCodeName(uint32(c)) }

// ReasonOf is the ErrorInfo reason that Status(ctx, domain, err) carries,
// found without logging anything: what a metric counts a refusal by. A
// status without one gives its code's name.
func ReasonOf(err error) string {
	if fe, ok := fault.As(err); ok {
		if fe.Reason != (fault.Reason{}) {
			return fe.Reason.String()
		}
		return fault.CodeReason(fe.Code.RPC()).String()
	}
	if st, ok := status.FromError(err); ok {
		if r := Reason(err); r != "" {
			return r
		}
		return CodeName(st.Code())
	}
	switch {
	case errors.Is(err, context.Canceled):
		return CodeName(codes.Canceled)
	case errors.Is(err, context.DeadlineExceeded):
		return CodeName(codes.DeadlineExceeded)
	}
	return fault.ReasonInternal.String()
}

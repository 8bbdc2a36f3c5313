package rpc

import (
	"context"
	"errors"
	"io"

	sessionv1 "github.com/cqlive/alliance/gen/pb/alliance/session/v1"
	"github.com/cqlive/alliance/services/kit/fault"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"github.com/cqlive/alliance/services/kit/protoconv"
	"github.com/cqlive/alliance/services/session-scheduling/internal/scheduling"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// ImportSessions reads the stream in batches of scheduling.ImportBatchSize
// lines; each batch is judged and committed in one transaction before the
// next is read. A line that cannot even be read as a session (a malformed
// timestamp) is rejected here. A registry that does not answer, even
// when asked again, rejects the lines that needed it (UNAVAILABLE); only a
// store failure ends the stream with its status. The batches before it
// stay committed, and sending the stream again counts them as duplicates.
func (s *Server) ImportSessions(stream sessionv1.SessionScheduler_ImportSessionsServer) error {
	ctx := withCaller(stream.Context())
	im := s.svc.NewImport()
	resp := &sessionv1.ImportSessionsResponse{}
	// The counts are complete; the errors listed stop at the budget, so
	// the answer stays readable under gRPC's default receive limit.
	var budget grpcx.ErrorBudget
	reject := func(index int64, err error) {
		s.Meters.booking(sourceImport, err)
		resp.Rejected++
		if budget.Truncated {
			return
		}
		if e := importError(ctx, index, err); budget.Admit(proto.Size(e)) {
			resp.Errors = append(resp.Errors, e)
		}
	}
	batch := make([]scheduling.ImportLine, 0, scheduling.ImportBatchSize)
	at := make([]int64, 0, scheduling.ImportBatchSize) // stream index of each batch line
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		results, err := im.Batch(ctx, batch)
		if err != nil {
			return err
		}
		for i, r := range results {
			switch {
			case r.Err != nil:
				reject(at[i], r.Err)
			case r.Duplicate:
				resp.Duplicates++
			default:
				s.Meters.booking(sourceImport, nil)
				resp.Accepted++
			}
		}
		batch, at = batch[:0], at[:0]
		return nil
	}
	for index := int64(0); ; index++ {
		req, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		line, err := importLineFromProto(req)
		if err != nil {
			reject(index, err)
			continue
		}
		batch, at = append(batch, line), append(at, index)
		if len(batch) == scheduling.ImportBatchSize {
			if err := flush(); err != nil {
				return fail(ctx, err)
			}
		}
	}
	if err := flush(); err != nil {
		return fail(ctx, err)
	}
	resp.ErrorsTruncated = budget.Truncated
	return stream.SendAndClose(resp)
}

func importLineFromProto(req *sessionv1.ImportSessionsRequest) (scheduling.ImportLine, error) {
	p := req.GetSession()
	if p == nil {
		return scheduling.ImportLine{}, fault.InvalidField("session", "is required")
	}
	s, err := sessionFromProto(p)
	var v fault.Invalid
	if f, ok := fault.As(err); ok {
		for _, fv := range f.Violations {
			v.Add(fv.Field, "%s", fv.Description)
		}
	}
	s.State = scheduling.State(p.GetState())
	s.ActualStart = protoconv.Time(&v, "session.actual_start_time", p.GetActualStartTime())
	s.ActualEnd = protoconv.Time(&v, "session.actual_end_time", p.GetActualEndTime())
	s.CancelReason = p.GetCancelReason()
	return scheduling.ImportLine{ID: req.GetSessionId(), Session: s}, v.Err()
}

// importError describes a rejected line as its status would: code,
// reason and message; for invalid input the message lists every field.
func importError(ctx context.Context, index int64, err error) *sessionv1.ImportError {
	st := status.Convert(fail(ctx, err))
	msg := st.Message()
	if f, ok := fault.As(err); ok && len(f.Violations) > 0 {
		msg = f.Error()
	}
	return &sessionv1.ImportError{Index: index, Code: grpcx.CodeName(st.Code()), Reason: grpcx.Reason(st.Err()), Message: msg}
}

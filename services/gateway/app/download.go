package app

import (
	"errors"
	"io"
	"mime"
	"net/http"

	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"github.com/grpc-ecosystem/grpc-gateway/v2/utilities"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// exportPath is ExportSalesReport's HTTP route (sales_reporting_http.yaml).
const exportPath = "/v1/reports:export"

// exportHandler serves GET /v1/reports:export as one plain download: the
// bytes of ExportSalesReport's chunks, with their content type and the
// file's name in Content-Disposition. grpc-gateway's own handler of a
// server stream would send newline-delimited {"result": ...} objects, and
// an error as {"error": ...}; here an error before the first chunk (a bad
// request, a missing key, a down service) is the same google.rpc.Status
// answer as every other route's, through the mux's error handler. An error
// after the download began cannot change its status: the connection is cut,
// so that a client never takes half a file for a whole one.
func exportHandler(mux *runtime.ServeMux, client salesv1.SalesReportingClient) runtime.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request, _ map[string]string) {
		_, out := runtime.MarshalerForRequest(mux, r)
		ctx, err := runtime.AnnotateContext(r.Context(), mux, r, "/"+salesv1.SalesReporting_ServiceDesc.ServiceName+"/ExportSalesReport",
			runtime.WithHTTPPathPattern(exportPath))
		if err != nil {
			runtime.HTTPError(r.Context(), mux, out, w, r, err)
			return
		}
		req := &salesv1.ExportSalesReportRequest{}
		if err := r.ParseForm(); err != nil {
			runtime.HTTPError(ctx, mux, out, w, r, status.Error(codes.InvalidArgument, err.Error()))
			return
		}
		if err := runtime.PopulateQueryParameters(req, r.Form, utilities.NewDoubleArray(nil)); err != nil {
			runtime.HTTPError(ctx, mux, out, w, r, status.Error(codes.InvalidArgument, err.Error()))
			return
		}
		stream, err := client.ExportSalesReport(ctx, req)
		if err != nil {
			runtime.HTTPError(ctx, mux, out, w, r, err)
			return
		}
		chunk, err := stream.Recv()
		if err != nil {
			runtime.HTTPError(ctx, mux, out, w, r, err)
			return
		}
		w.Header().Set("Content-Type", chunk.GetContentType())
		if name := chunk.GetFileName(); name != "" {
			w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
		}
		rc := http.NewResponseController(w)
		for {
			if _, err := w.Write(chunk.GetData()); err != nil {
				return // the client went away; the stream's context ends with the request
			}
			_ = rc.Flush()
			if chunk, err = stream.Recv(); errors.Is(err, io.EOF) {
				return
			} else if err != nil {
				panic(http.ErrAbortHandler)
			}
		}
	}
}

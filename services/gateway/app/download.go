package app

import (
	"context"
	"mime"
	"net/http"

	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/genproto/googleapis/api/httpbody"
	"google.golang.org/protobuf/proto"
)

// Downloads. ExportSalesReport streams its file as ExportChunks; over HTTP
// the chunks' bytes are sent as they are, one plain download (not
// grpc-gateway's newline-delimited {"result": ...} objects), with the
// chunks' content type and the file's name in Content-Disposition. The
// chunk becomes a google.api.HttpBody, which grpc-gateway writes raw.

// downloadRewriter turns an ExportChunk into an HttpBody; every other
// answer passes unchanged.
func downloadRewriter(_ context.Context, m proto.Message) (any, error) {
	if c, ok := m.(*salesv1.ExportChunk); ok {
		return &httpbody.HttpBody{ContentType: c.GetContentType(), Data: c.GetData()}, nil
	}
	return m, nil
}

// downloadHeaders names the file of a download, from its first chunk,
// before the headers go out.
func downloadHeaders(_ context.Context, w http.ResponseWriter, m proto.Message) error {
	if c, ok := m.(*salesv1.ExportChunk); ok && c.GetFileName() != "" {
		w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": c.GetFileName()}))
	}
	return nil
}

// downloadOptions are the mux options of downloads.
func downloadOptions() []runtime.ServeMuxOption {
	return []runtime.ServeMuxOption{
		runtime.WithForwardResponseRewriter(downloadRewriter),
		runtime.WithForwardResponseOption(downloadHeaders),
	}
}

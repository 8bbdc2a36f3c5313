package app

import (
	"net/http"
	"strings"

	"github.com/cqlive/alliance/services/kit/auth"
	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
)

// withKeyRequired refuses a /v1/ request that carries no bearer key with
// 401, before anything reads its body: the services would refuse it all
// the same, and a client without a key must not be able to hold the
// gateway by sending a body slowly. The gateway checks only that a key is
// there, never whether it is valid: that is the services' work. The answer
// is the services' own for a missing key (UNAUTHENTICATED, domain
// auth.alliance), written by the same error handler. Health, readiness
// and /openapi/ stay open.
func withKeyRequired(mux *runtime.ServeMux, next http.Handler) http.Handler {
	missing := auth.ErrUnauthenticated
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/v1/") || hasBearer(r) {
			next.ServeHTTP(w, r)
			return
		}
		unread := r.ContentLength != 0
		if unread {
			closeAfter(w, r)
		}
		runtime.DefaultHTTPErrorHandler(r.Context(), mux, marshaler, w, r, missing)
		if unread {
			stopReading(w, r)
		}
	})
}

// hasBearer applies the services' reading of the header: its first value
// is "Bearer " and a token that is not blank.
func hasBearer(r *http.Request) bool {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && strings.TrimSpace(tok) != ""
}

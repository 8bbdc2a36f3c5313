package app

import (
	"net/http"

	"github.com/cqlive/alliance/services/kit/fault"
	"google.golang.org/grpc/codes"
)

// withCORS answers for the configured origins only. A request from any
// other origin gets no Access-Control-Allow-Origin, so browsers refuse it;
// a refused preflight is a 403 with a Status body.
func withCORS(origins map[string]bool, next http.Handler) http.Handler {
	if len(origins) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin == "" {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Add("Vary", "Origin")
		allowed := origins[origin]
		preflight := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
		if preflight {
			w.Header().Add("Vary", "Access-Control-Request-Method")
			w.Header().Add("Vary", "Access-Control-Request-Headers")
			if !allowed {
				writeStatus(w, http.StatusForbidden, errorStatus(codes.PermissionDenied, fault.ReasonCORSOriginNotAllowed,
					"origin "+origin+" is not allowed; the gateway's -cors-origins lists the allowed ones", nil))
				return
			}
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Allow-Methods", "GET, POST, PATCH, DELETE, OPTIONS")
			h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Request-Id")
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if allowed {
			w.Header().Set("Access-Control-Allow-Origin", origin)
			w.Header().Set("Access-Control-Expose-Headers", "X-Request-Id")
		}
		next.ServeHTTP(w, r)
	})
}

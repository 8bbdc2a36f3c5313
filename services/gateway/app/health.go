package app

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/cqlive/alliance/services/kit/grpcx"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
)

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// healthz is liveness: the process answers. It never looks at the services,
// so a restart of one of them does not make an orchestrator kill the gateway.
func healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz is 200 only while every service answers its health check SERVING;
// otherwise 503, naming each service that does not.
func readyz(log *slog.Logger, ups []upstream, timeout time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		states := make(map[string]string, len(ups))
		var mu sync.Mutex
		var wg sync.WaitGroup
		for _, u := range ups {
			wg.Go(func() {
				state := "SERVING"
				resp, err := u.health.Check(ctx, &healthpb.HealthCheckRequest{Service: u.service})
				switch {
				case err != nil:
					// /readyz needs no key: the transport's message, with
					// the service's address, goes to the log only.
					state = grpcx.CodeName(status.Code(err))
					log.WarnContext(ctx, "service not ready", "service", u.name, "err", status.Convert(err).Message())
				case resp.GetStatus() != healthpb.HealthCheckResponse_SERVING:
					state = resp.GetStatus().String()
				}
				mu.Lock()
				states[u.name] = state
				mu.Unlock()
			})
		}
		wg.Wait()
		var down []string
		for name, s := range states {
			if s != "SERVING" {
				down = append(down, name)
			}
		}
		sort.Strings(down)
		if len(down) > 0 {
			writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "unready", "down": down, "services": states})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"status": "ready", "services": states})
	})
}

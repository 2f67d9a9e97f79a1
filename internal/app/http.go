package app

import (
	"context"
	"encoding/json"
	"net/http"
	"time"
)

// pinger is what readiness checks: Redis and the ledger both have it.
type pinger interface {
	Ping(ctx context.Context) error
}

// notice is a condition /readyz reports without failing readiness: the daemon serves, but the
// office should know. It returns "" when there is nothing to report.
type notice func(ctx context.Context) (string, error)

// readyTimeout bounds one readiness check: a hung dependency is not ready.
const readyTimeout = 3 * time.Second

// Handler is the daemon's HTTP surface: /healthz (the process is alive), /readyz (Redis and the
// ledger answer; and "redisData": whether Redis lost its data and the jobs have not all run
// since), and everything else to console (the operator console and API, which checks its own
// token); console may be nil. /metrics (Prometheus) is served here to anyone only with
// console.metricsPublic; otherwise the console serves it to holders of the token (App.Console
// hands it over), because its series name alert channels and communities.
func (a *App) Handler(ctx context.Context, console http.Handler) (http.Handler, error) {
	conn, err := a.Redis(ctx)
	if err != nil {
		return nil, err
	}
	st, err := a.Ledger(ctx)
	if err != nil {
		return nil, err
	}
	redisData := func(ctx context.Context) (string, error) {
		loss, err := a.RedisLoss(ctx)
		if err != nil || loss == nil {
			return "", err
		}
		return loss.Message, nil
	}
	var public http.Handler
	if a.cfg.Console.MetricsPublic {
		public = a.metrics.Handler()
	}
	return newMux(map[string]pinger{"redis": conn, "ledger": st}, map[string]notice{"redisData": redisData},
		public, console), nil
}

// privateMetrics is the /metrics handler the console guards with its token, or nil when
// console.metricsPublic serves it to anyone.
func (a *App) privateMetrics() http.Handler {
	if a.cfg.Console.MetricsPublic {
		return nil
	}
	return a.metrics.Handler()
}

// newMux mounts the daemon's own endpoints; metrics, when not nil, is served without a token.
func newMux(deps map[string]pinger, notices map[string]notice, metrics, console http.Handler) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		defer cancel()
		status, checks := http.StatusOK, make(map[string]string, len(deps))
		for name, d := range deps {
			if err := d.Ping(ctx); err != nil {
				// The error's text can carry an address; it never carries a secret (the
				// clients do not put passwords in errors), and /readyz is for the operator.
				checks[name] = err.Error()
				status = http.StatusServiceUnavailable
				continue
			}
			checks[name] = "ok"
		}
		for name, n := range notices {
			// A loss of Redis data the jobs are still recovering from does not make the daemon
			// unready: it serves, and the notice says what happened until the jobs have run.
			msg, err := n(ctx)
			switch {
			case err != nil:
				checks[name] = err.Error()
			case msg != "":
				checks[name] = msg
			default:
				checks[name] = "ok"
			}
		}
		writeJSON(w, status, checks)
	})
	if metrics != nil {
		mux.Handle("GET /metrics", metrics)
	}
	if console != nil {
		mux.Handle("/", console)
	}
	return mux
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// Package metrics owns streetsync's Prometheus series: one registry per process, built in one
// place, and the small observer methods the connectors, the retry queue, the scheduler, the sync
// jobs and the alert checker report into. Nothing else imports client_golang.
package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds every series.
type Metrics struct {
	reg *prometheus.Registry

	runs         *prometheus.CounterVec   // job, outcome
	runDuration  *prometheus.HistogramVec // job
	lastSuccess  *prometheus.GaugeVec     // job
	records      *prometheus.CounterVec   // job, outcome
	requests     *prometheus.CounterVec   // platform, endpoint, status
	rateWait     *prometheus.CounterVec   // platform
	queueDepth   *prometheus.GaugeVec     // state
	queueEvents  *prometheus.CounterVec   // kind, event
	alertsFiring *prometheus.GaugeVec     // rule, severity
	alertsSent   *prometheus.CounterVec   // channel, status
}

// New builds the registry with Go and process collectors and every streetsync series.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.runs = m.counter("streetsync_job_runs_total", "Job runs by outcome (success, partial, platform_unavailable, failed, skipped).", "job", "outcome")
	m.runDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "streetsync_job_duration_seconds",
		Help:    "Duration of job runs.",
		Buckets: []float64{0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 900, 1800},
	}, []string{"job"})
	m.reg.MustRegister(m.runDuration)
	m.lastSuccess = m.gauge("streetsync_job_last_success_timestamp_seconds", "Unix time of each job's last successful run (success or partial).", "job")
	m.records = m.counter("streetsync_records_total", "Records handled by sync jobs, by outcome (pulled, pushed, unchanged, drifted, quarantined, queued).", "job", "outcome")
	m.requests = m.counter("streetsync_platform_requests_total", "Requests to the platforms by endpoint and HTTP status (or error class).", "platform", "endpoint", "status")
	m.rateWait = m.counter("streetsync_rate_limit_wait_seconds_total", "Time spent waiting for the client-side rate limiter.", "platform")
	m.queueDepth = m.gauge("streetsync_queue_items", "Retry queue items by state (pending, scheduled, dead).", "state")
	m.queueEvents = m.counter("streetsync_queue_events_total", "Retry queue events by job kind (enqueued, acked, retried, dead, quarantined).", "kind", "event")
	m.alertsFiring = m.gauge("streetsync_alerts_firing", "Alerts firing after the last check, by rule and severity.", "rule", "severity")
	m.alertsSent = m.counter("streetsync_alert_deliveries_total", "Alert messages delivered by channel and status (firing, resolved, failed).", "channel", "status")
	return m
}

func (m *Metrics) counter(name, help string, labels ...string) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	m.reg.MustRegister(c)
	return c
}

func (m *Metrics) gauge(name, help string, labels ...string) *prometheus.GaugeVec {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, labels)
	m.reg.MustRegister(g)
	return g
}

// Handler serves /metrics.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Registry exposes the registry for tests and extra collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// JobRun records one run of a job.
func (m *Metrics) JobRun(job, outcome string, d time.Duration, end time.Time) {
	m.runs.WithLabelValues(job, outcome).Inc()
	if outcome == "skipped" {
		return
	}
	m.runDuration.WithLabelValues(job).Observe(d.Seconds())
	if outcome == "success" || outcome == "partial" {
		m.lastSuccess.WithLabelValues(job).Set(float64(end.Unix()))
	}
}

// Records adds n records of a job with an outcome.
func (m *Metrics) Records(job, outcome string, n int) {
	if n > 0 {
		m.records.WithLabelValues(job, outcome).Add(float64(n))
	}
}

// Request counts one platform request.
func (m *Metrics) Request(platform, endpoint, status string) {
	m.requests.WithLabelValues(platform, endpoint, status).Inc()
}

// RateLimitWait adds time spent waiting for a platform's rate limiter.
func (m *Metrics) RateLimitWait(platform string, d time.Duration) {
	m.rateWait.WithLabelValues(platform).Add(d.Seconds())
}

// QueueDepth sets the retry queue's item counts.
func (m *Metrics) QueueDepth(pending, scheduled, dead int64) {
	m.queueDepth.WithLabelValues("pending").Set(float64(pending))
	m.queueDepth.WithLabelValues("scheduled").Set(float64(scheduled))
	m.queueDepth.WithLabelValues("dead").Set(float64(dead))
}

// QueueEvent counts one retry queue event.
func (m *Metrics) QueueEvent(kind, event string) {
	m.queueEvents.WithLabelValues(kind, event).Inc()
}

// AlertsFiring replaces the firing-alert gauges with counts by rule and severity.
func (m *Metrics) AlertsFiring(counts map[[2]string]int) {
	m.alertsFiring.Reset()
	for k, n := range counts {
		m.alertsFiring.WithLabelValues(k[0], k[1]).Set(float64(n))
	}
}

// AlertDelivery counts one alert message sent to a channel.
func (m *Metrics) AlertDelivery(channel, status string) {
	m.alertsSent.WithLabelValues(channel, status).Inc()
}

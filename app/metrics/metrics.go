// Package metrics holds the app's Prometheus series, in a registry of its
// own: counters each instance keeps, and gauges read from the shared
// database at scrape time. Whoever owns a label's vocabulary creates its
// series at zero when it starts, so rates and alerts work before the first
// event.
package metrics

import (
	"context"
	"net/http"
	"time"

	"aikagi/app/config"
	"aikagi/db"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/uptrace/bun"
)

// Metrics are the series the web app and the workers update.
type Metrics struct {
	registry    *prometheus.Registry
	Requests    *prometheus.CounterVec // route, method, status
	Latency     *prometheus.HistogramVec
	Mails       *prometheus.CounterVec // kind, result (sent, retry, dead, expired)
	Throttled   prometheus.Counter     // requests the mail provider refused for its rate limit
	BatchSize   prometheus.Histogram   // mails per request to the mail provider
	Reports     *prometheus.CounterVec // kind, event: what the provider reported after sending
	RateLimited *prometheus.CounterVec // limit
	HashWait    prometheus.Histogram
	Intake      *prometheus.CounterVec // journey, outcome
	Resealed    prometheus.Counter     // payloads sealed again under the current SECRET_KEY
	ResealLeft  prometheus.Gauge       // payloads the last re-sealing pass left under an old key
}

// New registers the series, the Go and process collectors, the build and
// the database gauges of bdb (ages measured with now).
func New(bdb *bun.DB, now func() time.Time, build config.BuildInfo) *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "aikagi_http_requests_total", Help: "HTTP requests by route pattern, method and status.",
		}, []string{"route", "method", "status"}),
		Latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "aikagi_http_request_duration_seconds", Help: "Time to answer HTTP requests, by route pattern.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"route", "method"}),
		Mails: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "aikagi_mail_deliveries_total", Help: "Outbox delivery attempts by mail kind and result (sent, retry, dead, expired: not handed over before its deadline, and not sent).",
		}, []string{"kind", "result"}),
		Throttled: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "aikagi_mail_provider_throttled_total", Help: "Requests the mail provider refused for its rate limit (HTTP 429); their mail waits and is sent later.",
		}),
		BatchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "aikagi_mail_batch_size", Help: "Mails handed over per request to the mail provider (its count is the number of requests).",
			Buckets: []float64{1, 2, 5, 10, 25, 50, 75, 100},
		}),
		Reports: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "aikagi_mail_reports_total", Help: "Delivery reports recorded from the mail provider's webhooks, by mail kind and event (delivered, delivery_delayed, bounced, complained, failed).",
		}, []string{"kind", "event"}),
		RateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "aikagi_rate_limited_total", Help: "Requests refused or left unmailed by a rate limit, by limit.",
		}, []string{"limit"}),
		HashWait: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "aikagi_password_hash_wait_seconds", Help: "Time waited for room within the memory budget of password hashing.",
			Buckets: []float64{.0001, .001, .01, .05, .1, .25, .5, 1, 2.5, 5},
		}),
		Intake: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "aikagi_intake_requests_total", Help: "Step 3 requests processed by the intake worker, by journey and outcome (matched, unmatched, limited, disabled, failed, expired).",
		}, []string{"journey", "outcome"}),
	}
	m.Resealed = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "aikagi_resealed_total", Help: "Payloads at rest (queued mail, recorded requests, TOTP secrets) sealed again under the current SECRET_KEY during a key rotation.",
	})
	m.ResealLeft = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "aikagi_reseal_left", Help: "Payloads the last re-sealing pass left under a key of SECRET_KEYS_OLD (0: the old keys can go once every instance has the new key). -1 before the first pass.",
	})
	m.ResealLeft.Set(-1)
	buildInfo := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "aikagi_build_info", Help: "Always 1; the labels say which build this instance runs.",
		ConstLabels: prometheus.Labels{"version": build.Version, "revision": build.Revision, "goversion": build.GoVersion},
	})
	buildInfo.Set(1)
	m.registry.MustRegister(buildInfo, m.Requests, m.Latency, m.Mails, m.Throttled, m.BatchSize, m.Resealed, m.ResealLeft, m.Reports, m.RateLimited, m.HashWait, m.Intake,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		databaseCollector{db: bdb, now: now})
	return m
}

// Handler answers scrapes. It always answers: what cannot be collected
// (the database's gauges while the database is down) is left out, and
// aikagi_database_up says why, so that Prometheus sees the instance up
// and the counters that tell what the outage does.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// databaseScope labels the gauges read from the shared database rather
// than counted by this instance: every instance reports the same value, so
// dashboards take their max and never their sum. Counters are this
// instance's own and do sum.
var databaseScope = prometheus.Labels{"scope": "database"}

// databaseCollector reads, at scrape time, the gauges of the shared
// database: the intake's backlog (step 3 requests not yet matched) and the
// outbox's depth, each with the age of its oldest waiting row. Every
// instance reports the same values (scope="database").
type databaseCollector struct {
	db  *bun.DB
	now func() time.Time
}

var (
	outboxDepthDesc   = prometheus.NewDesc("aikagi_outbox_mails", "Mails in the outbox by status, in the whole database: every instance reports the same value (aggregate with max, never sum).", []string{"status"}, databaseScope)
	outboxOldestDesc  = prometheus.NewDesc("aikagi_outbox_oldest_waiting_seconds", "Age of the oldest mail not yet sent (pending or sending), in the whole database (aggregate with max, never sum).", nil, databaseScope)
	intakeBacklogDesc = prometheus.NewDesc("aikagi_intake_backlog", "Step 3 requests recorded and not yet processed, in the whole database (aggregate with max, never sum).", nil, databaseScope)
	intakeOldestDesc  = prometheus.NewDesc("aikagi_intake_oldest_waiting_seconds", "Age of the oldest step 3 request not yet processed, in the whole database (aggregate with max, never sum).", nil, databaseScope)
	databaseUpDesc    = prometheus.NewDesc("aikagi_database_up", "1 when this instance reached the database at this scrape, 0 when it did not (then the database's gauges are left out).", nil, nil)
)

func (d databaseCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- outboxDepthDesc
	ch <- outboxOldestDesc
	ch <- intakeBacklogDesc
	ch <- intakeOldestDesc
	ch <- databaseUpDesc
}

func (d databaseCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	stats, err := db.OutboxStats(ctx, d.db)
	var backlog db.IntakeBacklog
	if err == nil {
		backlog, err = db.IntakeStats(ctx, d.db)
	}
	if err != nil {
		ch <- prometheus.MustNewConstMetric(databaseUpDesc, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(databaseUpDesc, prometheus.GaugeValue, 1)
	for _, status := range db.OutboxStatuses {
		ch <- prometheus.MustNewConstMetric(outboxDepthDesc, prometheus.GaugeValue, float64(stats.Counts[status]), string(status))
	}
	ch <- prometheus.MustNewConstMetric(outboxOldestDesc, prometheus.GaugeValue, d.age(stats.OldestWaiting))
	ch <- prometheus.MustNewConstMetric(intakeBacklogDesc, prometheus.GaugeValue, float64(backlog.Count))
	ch <- prometheus.MustNewConstMetric(intakeOldestDesc, prometheus.GaugeValue, d.age(backlog.Oldest))
}

// age is how long ago since was, in seconds; 0 for none.
func (d databaseCollector) age(since time.Time) float64 {
	if since.IsZero() {
		return 0
	}
	return max(d.now().Sub(since).Seconds(), 0)
}

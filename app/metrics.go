package app

import (
	"context"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/uptrace/bun"

	"aikagi/app/route"
	"aikagi/db"
)

// metrics are the app's Prometheus series, in a registry of its own.
type metrics struct {
	registry    *prometheus.Registry
	requests    *prometheus.CounterVec
	latency     *prometheus.HistogramVec
	mails       *prometheus.CounterVec
	rateLimited *prometheus.CounterVec
	hashWait    prometheus.Histogram
	intake      *prometheus.CounterVec
	handler     fiber.Handler
}

func newMetrics(bdb *bun.DB, now func() time.Time) *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "aikagi_http_requests_total", Help: "HTTP requests by route pattern, method and status.",
		}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "aikagi_http_request_duration_seconds", Help: "Time to answer HTTP requests, by route pattern.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"route", "method"}),
		mails: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "aikagi_mail_deliveries_total", Help: "Outbox delivery attempts by mail kind and result (sent, retry, dead).",
		}, []string{"kind", "result"}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "aikagi_rate_limited_total", Help: "Requests refused or left unmailed by a rate limit, by limit.",
		}, []string{"limit"}),
		hashWait: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "aikagi_password_hash_wait_seconds", Help: "Time waited for room within the memory budget of password hashing.",
			Buckets: []float64{.0001, .001, .01, .05, .1, .25, .5, 1, 2.5, 5},
		}),
	}
	m.intake = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "aikagi_intake_requests_total", Help: "Step 3 requests processed by the intake worker, by journey and outcome (matched, unmatched, limited, disabled, failed, expired).",
	}, []string{"journey", "outcome"})
	// Every series exists from the start, at zero, so that rates and alerts
	// work before the first event.
	for _, kind := range []string{mailKindReset, mailKindPasswordChanged, mailKindReminder, mailKindEmailChanged} {
		for _, result := range []string{"sent", "retry", "dead"} {
			m.mails.WithLabelValues(kind, result)
		}
	}
	for _, name := range limitNames {
		m.rateLimited.WithLabelValues(name)
	}
	for _, j := range route.Journeys {
		for _, o := range []intakeOutcome{intakeMatched, intakeUnmatched, intakeLimited, intakeDisabled, intakeFailed, intakeExpired} {
			m.intake.WithLabelValues(string(j), string(o))
		}
	}
	build := Build()
	buildInfo := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "aikagi_build_info", Help: "Always 1; the labels say which build this instance runs.",
		ConstLabels: prometheus.Labels{"version": build.Version, "revision": build.Revision, "goversion": build.GoVersion},
	})
	buildInfo.Set(1)
	m.registry.MustRegister(buildInfo)
	m.registry.MustRegister(m.requests, m.latency, m.mails, m.rateLimited, m.hashWait, m.intake,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		databaseCollector{db: bdb, now: now})
	m.handler = adaptor.HTTPHandler(promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{}))
	return m
}

func (m *metrics) observeRequest(c *fiber.Ctx, elapsed time.Duration) {
	// Fiber's strings point into buffers it reuses; labels are kept, so copy.
	route := "unmatched"
	if r := c.Route(); r != nil && c.Response().StatusCode() != fiber.StatusNotFound {
		route = strings.Clone(r.Path)
	}
	method := strings.Clone(c.Method())
	m.requests.WithLabelValues(route, method, strconv.Itoa(c.Response().StatusCode())).Inc()
	m.latency.WithLabelValues(route, method).Observe(elapsed.Seconds())
}

// serveMetrics answers Prometheus scrapes from loopback (asking by a name of
// this machine, see localHost) or METRICS_ALLOW only; to anyone else the
// path does not exist. A scraper in METRICS_ALLOW may use any name.
func (a *App) serveMetrics(c *fiber.Ctx) error {
	peer, _ := netip.AddrFromSlice(c.Context().RemoteIP())
	peer = peer.Unmap()
	allowed := isLocal(c) && a.localHost(c)
	for _, p := range a.cfg.MetricsAllow {
		allowed = allowed || p.Contains(peer)
	}
	if !allowed {
		return fiber.ErrNotFound
	}
	return a.metrics.handler(c)
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
)

func (d databaseCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- outboxDepthDesc
	ch <- outboxOldestDesc
	ch <- intakeBacklogDesc
	ch <- intakeOldestDesc
}

func (d databaseCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if stats, err := db.OutboxStats(ctx, d.db); err != nil {
		ch <- prometheus.NewInvalidMetric(outboxDepthDesc, err)
	} else {
		for _, status := range []string{db.OutboxPending, db.OutboxSending, db.OutboxSent, db.OutboxDead} {
			ch <- prometheus.MustNewConstMetric(outboxDepthDesc, prometheus.GaugeValue, float64(stats.Counts[status]), status)
		}
		ch <- prometheus.MustNewConstMetric(outboxOldestDesc, prometheus.GaugeValue, d.age(stats.OldestWaiting))
	}
	if b, err := db.IntakeStats(ctx, d.db); err != nil {
		ch <- prometheus.NewInvalidMetric(intakeBacklogDesc, err)
	} else {
		ch <- prometheus.MustNewConstMetric(intakeBacklogDesc, prometheus.GaugeValue, float64(b.Count))
		ch <- prometheus.MustNewConstMetric(intakeOldestDesc, prometheus.GaugeValue, d.age(b.Oldest))
	}
}

// age is how long ago since was, in seconds; 0 for none.
func (d databaseCollector) age(since time.Time) float64 {
	if since.IsZero() {
		return 0
	}
	return max(d.now().Sub(since).Seconds(), 0)
}

// isLocal reports a request from this machine itself, not relayed by a
// proxy on it: a loopback peer and no X-Forwarded-For. (In-process test
// requests come from the unspecified address.)
func isLocal(c *fiber.Ctx) bool {
	peer, _ := netip.AddrFromSlice(c.Context().RemoteIP())
	peer = peer.Unmap()
	return (peer.IsLoopback() || peer.IsUnspecified()) && len(c.Request().Header.Peek(fiber.HeaderXForwardedFor)) == 0
}

// localOnly hides a route from everyone but this machine, asking by a name
// of this machine.
func (a *App) localOnly(c *fiber.Ctx) error {
	if !isLocal(c) || !a.localHost(c) {
		return fiber.ErrNotFound
	}
	return c.Next()
}

// localHost reports a Host header that names this machine: localhost, a
// loopback address, or BASE_URL's host. A loopback peer alone is not
// enough: a page on evil.example whose name an attacker re-points at
// 127.0.0.1 (DNS rebinding) makes the browser send the request from here,
// and lets that page read the answer; but the browser still sends its own
// name as Host.
func (a *App) localHost(c *fiber.Ctx) bool {
	host := strings.ToLower(strings.TrimSuffix(hostWithoutPort(string(c.Request().Host())), "."))
	if host == "localhost" || host == strings.ToLower(a.cfg.BaseURL.Hostname()) {
		return true
	}
	addr, err := netip.ParseAddr(host)
	return err == nil && addr.Unmap().IsLoopback()
}

// hostWithoutPort strips the port from a Host header, and the brackets
// from an IPv6 address.
func hostWithoutPort(hostport string) string {
	if host, _, err := net.SplitHostPort(hostport); err == nil {
		return host
	}
	return strings.TrimSuffix(strings.TrimPrefix(hostport, "["), "]")
}

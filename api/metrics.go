package api

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics live in a registry of their own per Server (no global default
// registry), so tests can run several servers in one process.
type metrics struct {
	reg         *prometheus.Registry
	requests    *prometheus.CounterVec
	latency     *prometheus.HistogramVec
	locate      *prometheus.CounterVec
	storeErrors *prometheus.CounterVec
	series      sync.Map // obsKey → obsVal

	locateInside, locateOutside, locateError prometheus.Counter
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gridd_http_requests_total",
			Help: "HTTP requests by route template, method and status code.",
		}, []string{"route", "method", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "gridd_http_request_duration_seconds",
			Help:    "HTTP request latency by route template.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"route"}),
		locate: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gridd_locate_lookups_total",
			Help: "Point-location lookups by result (inside, outside, error).",
		}, []string{"result"}),
		storeErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gridd_store_errors_total",
			Help: "Store operations that failed, by operation.",
		}, []string{"op"}),
	}
	m.locateInside = m.locate.WithLabelValues("inside")
	m.locateOutside = m.locate.WithLabelValues("outside")
	m.locateError = m.locate.WithLabelValues("error")
	m.reg.MustRegister(m.requests, m.latency, m.locate, m.storeErrors,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// obsKey names one request series; resolved series are cached because
// label lookup is a noticeable share of a /locate request.
type obsKey struct {
	route, method string
	status        int
}

type obsVal struct {
	count prometheus.Counter
	lat   prometheus.Observer
}

func (m *metrics) observe(route, method string, status int, d time.Duration) {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions:
	default:
		method = "other" // clients choose methods; keep the series bounded
	}
	k := obsKey{route, method, status}
	v, ok := m.series.Load(k)
	if !ok {
		v, _ = m.series.LoadOrStore(k, obsVal{
			count: m.requests.WithLabelValues(route, method, strconv.Itoa(status)),
			lat:   m.latency.WithLabelValues(route),
		})
	}
	o := v.(obsVal)
	o.count.Inc()
	o.lat.Observe(d.Seconds())
}

// metricsHandler is GET /metrics: Prometheus text exposition.
func (s *Server) metricsHandler() http.Handler {
	return promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{})
}

// Registry exposes the Server's metrics registry (for embedding in other
// exporters and for tests).
func (s *Server) Registry() *prometheus.Registry { return s.metrics.reg }

package http

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the server's Prometheus collectors, in a registry of their
// own (no global state).
type metrics struct {
	reg           *prometheus.Registry
	latency       *prometheus.HistogramVec
	ingestEvents  prometheus.Counter
	ingestLines   prometheus.Counter
	ingestBatches *prometheus.CounterVec
	jobDuration   *prometheus.HistogramVec
	rateLimited   prometheus.Counter
	signInRefused prometheus.Counter
	erasures      prometheus.Counter
}

func newMetrics(s *Server) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "shelfwise_http_request_duration_seconds",
			Help:    "HTTP request latency by route pattern and status class.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"route", "status"}),
		ingestEvents: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "shelfwise_ingested_events_total",
			Help: "Behaviour events durably committed through POST /v1/events.",
		}),
		ingestLines: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "shelfwise_ingested_order_lines_total",
			Help: "Order lines durably committed through POST /v1/events.",
		}),
		ingestBatches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shelfwise_ingest_batches_total",
			Help: "Ingest batches by result: committed, duplicate (idempotency key seen) or rejected.",
		}, []string{"result"}),
		jobDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "shelfwise_job_duration_seconds",
			Help:    "Background job run time by kind and final status.",
			Buckets: prometheus.ExponentialBuckets(0.1, 2.5, 12),
		}, []string{"kind", "status"}),
		rateLimited: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "shelfwise_rate_limited_requests_total",
			Help: "Requests refused by the per-key rate limit.",
		}),
		signInRefused: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "shelfwise_dashboard_signins_throttled_total",
			Help: "Dashboard sign-ins refused because the address had too many failed attempts.",
		}),
		erasures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "shelfwise_customer_erasures_total",
			Help: "Customers erased through DELETE /v1/customers/{id}.",
		}),
	}
	m.reg.MustRegister(m.latency, m.ingestEvents, m.ingestLines, m.ingestBatches, m.jobDuration,
		m.rateLimited, m.signInRefused, m.erasures, &modelCollector{s: s},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

var (
	modelVersionDesc = prometheus.NewDesc("shelfwise_model_version",
		"Version number of the promoted (served) model of each task.", []string{"task", "model"}, nil)
	modelMetricDesc = prometheus.NewDesc("shelfwise_model_metric",
		"Held-out evaluation metrics of the promoted model of each task.", []string{"task", "metric"}, nil)
	modelVersionsDesc = prometheus.NewDesc("shelfwise_model_versions",
		"Number of registered versions per task and status.", []string{"task", "status"}, nil)
)

// modelCollector reports the registry's state at scrape time.
type modelCollector struct{ s *Server }

func (c *modelCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- modelVersionDesc
	ch <- modelMetricDesc
	ch <- modelVersionsDesc
}

func (c *modelCollector) Collect(ch chan<- prometheus.Metric) {
	reg := c.s.cfg.Models
	if reg == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	vs, err := reg.Versions(ctx, "")
	if err != nil {
		return
	}
	type ts struct{ task, status string }
	counts := map[ts]int{}
	for _, v := range vs {
		counts[ts{v.Task, string(v.Status)}]++
		if v.Status != "promoted" {
			continue
		}
		ch <- prometheus.MustNewConstMetric(modelVersionDesc, prometheus.GaugeValue, float64(v.Version), v.Task, v.Model)
		for name, x := range v.Metrics {
			ch <- prometheus.MustNewConstMetric(modelMetricDesc, prometheus.GaugeValue, x, v.Task, name)
		}
	}
	for k, n := range counts {
		ch <- prometheus.MustNewConstMetric(modelVersionsDesc, prometheus.GaugeValue, float64(n), k.task, k.status)
	}
}

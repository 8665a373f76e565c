package mgmt

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// IndexEntry is what the Prometheus plugin says about one queue.
type IndexEntry struct {
	VHost, Name                         string
	Ready, Unacked, Messages, Consumers int64
}

// Key identifies the queue across vhosts.
func (e IndexEntry) Key() string { return e.VHost + "\x00" + e.Name }

// promFamilies are the per-queue metrics of /metrics/detailed we read:
// queue_coarse_metrics (ready, unacked, total) and queue_consumer_count.
var promFamilies = []string{"queue_coarse_metrics", "queue_consumer_count"}

// ScrapeQueueIndex reads every queue's depth and consumer count from the
// Prometheus plugin's detailed endpoint (0.8 s for 50,000 queues, where the
// management API's own depth sort takes 10 s). vhost "" means all.
func (c *Client) ScrapeQueueIndex(ctx context.Context, vhost string) ([]IndexEntry, error) {
	if c.promURL == "" {
		return nil, fmt.Errorf("prometheus source disabled")
	}
	v := url.Values{"family": promFamilies}
	if vhost != "" {
		v.Set("vhost", vhost)
	}
	ctx, cancel := context.WithTimeout(ctx, 3*c.timeout)
	defer cancel()
	u := c.promURL + "/metrics/detailed?" + v.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	// The plugin needs no credentials by default; when it is configured to
	// require them they are the management ones.
	req.SetBasicAuth(c.user, c.password)
	req.Header.Set("Accept", "text/plain")
	resp, err := (&http.Client{Transport: c.transport}).Do(req)
	if err != nil {
		return nil, fmt.Errorf("scrape prometheus: %w", redactErr(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("scrape prometheus: %w", &HTTPError{Status: resp.StatusCode})
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("parse prometheus metrics: %w", err)
	}
	return indexFromFamilies(families), nil
}

func indexFromFamilies(families map[string]*dto.MetricFamily) []IndexEntry {
	byKey := map[string]*IndexEntry{}
	var order []*IndexEntry
	set := func(name string, apply func(e *IndexEntry, v int64)) {
		mf := families[name]
		if mf == nil {
			return
		}
		for _, m := range mf.GetMetric() {
			var vh, q string
			for _, l := range m.GetLabel() {
				switch l.GetName() {
				case "vhost":
					vh = l.GetValue()
				case "queue":
					q = l.GetValue()
				}
			}
			if q == "" {
				continue
			}
			k := vh + "\x00" + q
			e := byKey[k]
			if e == nil {
				e = &IndexEntry{VHost: vh, Name: q}
				byKey[k] = e
				order = append(order, e)
			}
			apply(e, int64(gaugeValue(m)))
		}
	}
	set("rabbitmq_detailed_queue_messages_ready", func(e *IndexEntry, v int64) { e.Ready = v })
	set("rabbitmq_detailed_queue_messages_unacked", func(e *IndexEntry, v int64) { e.Unacked = v })
	set("rabbitmq_detailed_queue_messages", func(e *IndexEntry, v int64) { e.Messages = v })
	set("rabbitmq_detailed_queue_consumers", func(e *IndexEntry, v int64) { e.Consumers = v })
	out := make([]IndexEntry, len(order))
	for i, e := range order {
		out[i] = *e
	}
	return out
}

func gaugeValue(m *dto.Metric) float64 {
	switch {
	case m.Gauge != nil:
		return m.GetGauge().GetValue()
	case m.Counter != nil:
		return m.GetCounter().GetValue()
	case m.Untyped != nil:
		return m.GetUntyped().GetValue()
	}
	return 0
}

// Package history keeps a short series of samples per queue (and for the
// cluster totals) over the session: the source of trends, time-to-drain,
// rates derived from counts when the broker has no message_stats, and the
// charts on the detail page. It is pure data; the root model feeds it.
package history

import (
	"math"
	"time"
)

// Sample is one observation.
type Sample struct {
	At       time.Time
	Messages float64
	Ready    float64
	Unacked  float64
	In, Out  float64 // per second; NaN when unknown
}

// Series is a bounded ring of samples, oldest first.
type Series struct {
	cap     int
	samples []Sample
}

// Add appends a sample, dropping the oldest beyond capacity. A sample at the
// same instant as the last one replaces it.
func (s *Series) Add(x Sample) {
	if n := len(s.samples); n > 0 && !x.At.After(s.samples[n-1].At) {
		s.samples[n-1] = x
		return
	}
	s.samples = append(s.samples, x)
	if len(s.samples) > s.cap {
		s.samples = append(s.samples[:0], s.samples[len(s.samples)-s.cap:]...)
	}
}

// Samples returns the samples, oldest first (shared; do not modify).
func (s *Series) Samples() []Sample { return s.samples }

// Values extracts one field over time.
func (s *Series) Values(field func(Sample) float64) []float64 {
	out := make([]float64, len(s.samples))
	for i, x := range s.samples {
		out[i] = field(x)
	}
	return out
}

// Direction of a queue's depth.
type Direction int

const (
	Flat Direction = iota
	Growing
	Draining
)

// Trend summarises where a queue's depth is heading.
type Trend struct {
	Known  bool
	Dir    Direction
	PerSec float64       // net change of depth per second (negative when draining)
	Drain  time.Duration // time to empty at the current pace; 0 unless draining
}

// Trend fits a least-squares line over the samples of the last window. With
// fewer than two samples the trend is unknown.
func (s *Series) Trend(window time.Duration) Trend {
	n := len(s.samples)
	if n < 2 {
		return Trend{}
	}
	last := s.samples[n-1]
	var xs, ys []float64
	for i := n - 1; i >= 0; i-- {
		d := last.At.Sub(s.samples[i].At)
		if d > window {
			break
		}
		xs = append(xs, -d.Seconds())
		ys = append(ys, s.samples[i].Messages)
	}
	if len(xs) < 2 {
		return Trend{}
	}
	slope := fitSlope(xs, ys)
	t := Trend{Known: true, PerSec: slope}
	// Below a tenth of a message a second a queue is, to an operator, flat.
	switch {
	case slope > 0.1:
		t.Dir = Growing
	case slope < -0.1 && last.Messages > 0:
		t.Dir = Draining
		t.Drain = time.Duration(last.Messages / -slope * float64(time.Second))
	}
	return t
}

// NetRate is the change of depth per second over the window (or between
// the last two samples when they are further apart), for brokers that
// report no message_stats.
func (s *Series) NetRate(window time.Duration) (float64, bool) {
	n := len(s.samples)
	if n < 2 {
		return 0, false
	}
	// Over the window, not the last two polls: depths move only when the
	// broker emits statistics, so two polls in between read 0.
	b := s.samples[n-1]
	a := s.samples[n-2]
	for i := n - 2; i >= 0 && b.At.Sub(s.samples[i].At) <= window; i-- {
		a = s.samples[i]
	}
	dt := b.At.Sub(a.At).Seconds()
	if dt <= 0 {
		return 0, false
	}
	return (b.Messages - a.Messages) / dt, true
}

func fitSlope(xs, ys []float64) float64 {
	var sx, sy, sxx, sxy float64
	n := float64(len(xs))
	for i := range xs {
		sx += xs[i]
		sy += ys[i]
		sxx += xs[i] * xs[i]
		sxy += xs[i] * ys[i]
	}
	den := n*sxx - sx*sx
	if den == 0 || math.IsNaN(den) {
		return 0
	}
	return (n*sxy - sx*sy) / den
}

// Book holds a series per key, bounded in the number of keys so that paging
// through 50,000 queues cannot grow memory without end.
type Book struct {
	perSeries int
	maxKeys   int
	series    map[string]*Series
	touched   map[string]time.Time
}

// NewBook keeps up to perSeries samples for at most maxKeys keys.
func NewBook(perSeries, maxKeys int) *Book {
	return &Book{perSeries: perSeries, maxKeys: maxKeys, series: map[string]*Series{}, touched: map[string]time.Time{}}
}

// Add records a sample for key.
func (b *Book) Add(key string, x Sample) {
	s := b.series[key]
	if s == nil {
		if len(b.series) >= b.maxKeys {
			b.evictOldest()
		}
		s = &Series{cap: b.perSeries}
		b.series[key] = s
	}
	s.Add(x)
	b.touched[key] = x.At
}

// Get returns the series for key, or an empty one.
func (b *Book) Get(key string) *Series {
	if s := b.series[key]; s != nil {
		return s
	}
	return &Series{cap: b.perSeries}
}

// Len is the number of keys held.
func (b *Book) Len() int { return len(b.series) }

func (b *Book) evictOldest() {
	var oldest string
	var at time.Time
	for k, t := range b.touched {
		if oldest == "" || t.Before(at) {
			oldest, at = k, t
		}
	}
	delete(b.series, oldest)
	delete(b.touched, oldest)
}

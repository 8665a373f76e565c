package history

import (
	"math"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

func series(vals ...float64) *Series {
	s := &Series{cap: 100}
	for i, v := range vals {
		s.Add(Sample{At: t0.Add(time.Duration(i) * 2 * time.Second), Messages: v})
	}
	return s
}

func TestTrendDirections(t *testing.T) {
	if tr := series(100).Trend(time.Minute); tr.Known {
		t.Fatalf("one sample must not give a trend: %+v", tr)
	}
	g := series(0, 10, 20, 30).Trend(time.Minute)
	if g.Dir != Growing || math.Abs(g.PerSec-5) > 1e-9 {
		t.Fatalf("growing: %+v", g)
	}
	d := series(100, 80, 60, 40).Trend(time.Minute)
	if d.Dir != Draining || math.Abs(d.PerSec+10) > 1e-9 || d.Drain != 4*time.Second {
		t.Fatalf("draining: %+v", d)
	}
	f := series(7, 7, 7).Trend(time.Minute)
	if f.Dir != Flat || !f.Known {
		t.Fatalf("flat: %+v", f)
	}
}

func TestTrendWindowIgnoresOldSamples(t *testing.T) {
	// Grew fast long ago, flat in the last 10 s.
	tr := series(0, 1000, 2000, 2000, 2000, 2000, 2000, 2000).Trend(10 * time.Second)
	if tr.Dir != Flat {
		t.Fatalf("old growth leaked into the window: %+v", tr)
	}
}

func TestSeriesBoundedAndNetRate(t *testing.T) {
	s := &Series{cap: 3}
	for i := 0; i < 10; i++ {
		s.Add(Sample{At: t0.Add(time.Duration(i) * time.Second), Messages: float64(i * 4)})
	}
	if len(s.Samples()) != 3 || s.Samples()[0].Messages != 28 {
		t.Fatalf("ring wrong: %+v", s.Samples())
	}
	if r, ok := s.NetRate(time.Minute); !ok || r != 4 {
		t.Fatalf("net rate = %v %v", r, ok)
	}
	// Depth that moves only every third poll (statistics emitted less often
	// than polled): over the window the rate is true, not 0 between moves.
	st := &Series{cap: 100}
	for i := 0; i < 30; i++ {
		st.Add(Sample{At: t0.Add(time.Duration(i) * time.Second), Messages: float64(i / 3 * 3)})
	}
	if r, ok := st.NetRate(10 * time.Second); !ok || r < 0.8 || r > 1.2 {
		t.Fatalf("net rate over the window = %v %v, want about 1/s", r, ok)
	}
	if r, _ := st.NetRate(0); r != 0 {
		t.Fatalf("between the last two polls it reads %v (the flaw the window fixes)", r)
	}
}

func TestBookEvictsLeastRecentlyTouched(t *testing.T) {
	b := NewBook(5, 2)
	b.Add("a", Sample{At: t0})
	b.Add("b", Sample{At: t0.Add(time.Second)})
	b.Add("a", Sample{At: t0.Add(2 * time.Second)})
	b.Add("c", Sample{At: t0.Add(3 * time.Second)})
	if b.Len() != 2 || len(b.Get("b").Samples()) != 0 || len(b.Get("a").Samples()) != 2 {
		t.Fatalf("eviction wrong: len=%d a=%d b=%d", b.Len(), len(b.Get("a").Samples()), len(b.Get("b").Samples()))
	}
}

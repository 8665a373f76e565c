package main

import (
	"fmt"
	"io"
	"strings"
)

// target is one of the figures the README reports against; the bench only
// computes and prints them, it asserts nothing.
type target struct {
	name, measured string
	ok, known      bool
}

func targets(r *SizeResult) []target {
	var ts []target
	// Each refresh within 1.2x of its floor.
	worst, worstName, n := 0.0, "", 0
	for _, c := range r.Cycles {
		if fl := cycleFloor(r, c); fl > 0 && c.N > 0 {
			n++
			if x := c.MedianMs / fl; x > worst {
				worst, worstName = x, cycleName(c)
			}
		}
	}
	if n > 0 {
		ts = append(ts, target{"each mqtop refresh ≤ 1.2× its floor", fmt.Sprintf("worst %.2f× (%s)", worst, worstName), worst <= 1.2, true})
	}
	// Depth-ordered first screen vs the management API's own depth sort.
	sortFloor := r.Floors["peer-sort"].MedianMs
	if c, ok := findCycle(r, "prometheus", "depth", false); ok && sortFloor > 0 && c.MedianMs > 0 {
		x := sortFloor / c.MedianMs
		m := fmt.Sprintf("%.1f× (depth sort %s ms at the broker vs mqtop %s ms", x, ms(sortFloor), ms(c.MedianMs))
		if cold, ok := findCycle(r, "prometheus", "depth", true); ok && cold.MedianMs > 0 {
			m += fmt.Sprintf("; fresh start %s ms: %.1f×", ms(cold.MedianMs), sortFloor/cold.MedianMs)
		}
		name := "depth-ordered first screen ≥ 8× faster than the management depth sort"
		if r.Size != 50000 {
			name += " (target is for 50,000)"
		}
		ts = append(ts, target{name, m + ")", x >= 8, true})
	}
	// Broker CPU mqtop adds vs full-list polling.
	full, ok1 := findCPU(r, "peers: full list")
	for _, src := range []string{"Prometheus", "management"} {
		mq, ok2 := findCPU(r, "mqtop, "+src)
		if ok1 && ok2 && full.AddedCPUs > 0 {
			x := mq.AddedCPUs / full.AddedCPUs
			ts = append(ts, target{"broker CPU mqtop (" + src + " source) adds ≤ ⅓ of full-list polling's",
				fmt.Sprintf("%.2f (%.2f s vs %.2f s per %.0f s)", x, mq.AddedCPUs, full.AddedCPUs, full.Seconds), x <= 1.0/3, true})
		}
	}
	// RSS with every queue indexed: the model alone and the real binary.
	var rss []string
	peak := 0.0
	for _, c := range r.Cycles {
		if c.Source == "prometheus" && !c.Cold && c.PeakRSSMB > 0 {
			peak = max(peak, c.PeakRSSMB)
			rss = append(rss, fmt.Sprintf("model %s order %.1f MB", c.Order, c.PeakRSSMB))
		}
	}
	if w, ok := findCPU(r, "mqtop, Prometheus"); ok && w.ClientPeakMB > 0 {
		peak = max(peak, w.ClientPeakMB)
		rss = append(rss, fmt.Sprintf("bin/mqtop %.1f MB", w.ClientPeakMB))
	}
	if r.TTY.ClientPeakMB > 0 {
		peak = max(peak, r.TTY.ClientPeakMB)
		rss = append(rss, fmt.Sprintf("bin/mqtop (pty run) %.1f MB", r.TTY.ClientPeakMB))
	}
	if len(rss) > 0 {
		name := "RSS < 80 MB with every queue indexed (peak)"
		if r.Size != 50000 {
			name += " (target is for 50,000)"
		}
		ts = append(ts, target{name, strings.Join(rss, ", "), peak < 80, true})
	}
	if r.TTY.Refreshes > 0 {
		ts = append(ts, target{"terminal output < 2 KB per refresh at 120×40", fmt.Sprintf("%.0f B", r.TTY.PerRefresh), r.TTY.PerRefresh < 2048, true})
	}
	return ts
}

// label names a result's column: "10000 queues", "3 nodes, 30000 queues".
func (r *SizeResult) label() string {
	if r.Cluster != nil {
		return fmt.Sprintf("%d nodes, %d queues", r.Cluster.Nodes, r.Size)
	}
	return fmt.Sprintf("%d queues", r.Size)
}

func writeTargets(w io.Writer, r *SizeResult) {
	ts := targets(r)
	if len(ts) == 0 {
		return
	}
	fmt.Fprintf(w, "\n### Targets at %s (computed, not asserted)\n\n| target | measured | met |\n|---|---|:-:|\n", r.label())
	for _, t := range ts {
		fmt.Fprintf(w, "| %s | %s | %s |\n", t.name, t.measured, yes(t.ok))
	}
}

// writeSummary puts the headline figures of every size side by side.
func writeSummary(w io.Writer, rs []*SizeResult) {
	if len(rs) == 0 {
		return
	}
	fmt.Fprint(w, "\n## Summary\n\n| | ")
	for _, r := range rs {
		fmt.Fprintf(w, "%s | ", r.label())
	}
	fmt.Fprint(w, "\n|---|")
	for range rs {
		fmt.Fprint(w, "--:|")
	}
	fmt.Fprintln(w)
	row := func(name string, f func(r *SizeResult) string) {
		fmt.Fprintf(w, "| %s | ", name)
		for _, r := range rs {
			fmt.Fprintf(w, "%s | ", f(r))
		}
		fmt.Fprintln(w)
	}
	cyc := func(src, order string, cold bool) func(r *SizeResult) string {
		return func(r *SizeResult) string {
			c, ok := findCycle(r, src, order, cold)
			if !ok {
				return "–"
			}
			return fmt.Sprintf("%s ms (%.2f×)", ms(c.MedianMs), c.MedianMs/cycleFloor(r, c))
		}
	}
	floor := func(k string) func(r *SizeResult) string {
		return func(r *SizeResult) string {
			f, ok := r.Floors[k]
			if !ok {
				return "–"
			}
			if f.TimedOut {
				return fmt.Sprintf("> %.0f s", f.MedianMs/1000)
			}
			return fmt.Sprintf("%s ms, %s", ms(f.MedianMs), kb(f.Bytes))
		}
	}
	row("import (s)", func(r *SizeResult) string { return fmt.Sprintf("%.1f", r.ImportS) })
	row("Prometheus scrape (broker)", floor("scrape"))
	row("mqtop Prometheus, name (× floor)", cyc("prometheus", "name", false))
	row("mqtop Prometheus, depth (× floor)", cyc("prometheus", "depth", false))
	row("mqtop Prometheus, depth, fresh start", cyc("prometheus", "depth", true))
	row("mqtop management, name", cyc("management", "name", false))
	row("mqtop management, depth", cyc("management", "depth", false))
	row("management depth sort, page of 50 (broker)", floor("peer-sort"))
	row("full /api/queues (broker)", floor("peer-full"))
	row("broker CPU added: mqtop Prometheus / mgmt / full list (s per window)", func(r *SizeResult) string {
		var parts []string
		for _, p := range []string{"mqtop, Prometheus", "mqtop, management", "peers: full list"} {
			if c, ok := findCPU(r, p); ok {
				parts = append(parts, fmt.Sprintf("%.2f", c.AddedCPUs))
			} else {
				parts = append(parts, "–")
			}
		}
		return strings.Join(parts, " / ")
	})
	row("terminal bytes per refresh", func(r *SizeResult) string {
		if r.TTY.Refreshes == 0 {
			return "–"
		}
		return fmt.Sprintf("%.0f", r.TTY.PerRefresh)
	})
	// Then one row per target: met or not at each size.
	seen := map[string]bool{}
	for _, r := range rs {
		for _, t := range targets(r) {
			key := strings.SplitN(t.name, " (target is", 2)[0]
			if seen[key] {
				continue
			}
			seen[key] = true
			row("target: "+key, func(r *SizeResult) string {
				for _, t := range targets(r) {
					if strings.HasPrefix(t.name, key) {
						return yes(t.ok)
					}
				}
				return "–"
			})
		}
	}
}

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"
)

// runReport prints the Markdown tables of the given size-N.json files.
func runReport(files []string) error {
	var rs []*SizeResult
	var pub *PublishResult
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		if strings.HasSuffix(f, "publish.json") {
			pub = &PublishResult{}
			if err := json.Unmarshal(data, pub); err != nil {
				return fmt.Errorf("%s: %w", f, err)
			}
			continue
		}
		r := &SizeResult{}
		if err := json.Unmarshal(data, r); err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		rs = append(rs, r)
	}
	// Single nodes by size, then the cluster.
	sort.SliceStable(rs, func(i, j int) bool {
		if (rs[i].Cluster == nil) != (rs[j].Cluster == nil) {
			return rs[i].Cluster == nil
		}
		return rs[i].Size < rs[j].Size
	})
	w := os.Stdout
	fmt.Fprintf(w, "# mqtop benchmark\n\nRun %s on %s. RabbitMQ %s, one fresh broker per size, `collect_statistics_interval` 5000 ms, loopback only.\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), machine(), brokerVersion())
	fmt.Fprintln(w, "Terminal 120x40: one screen is 32 queue rows. Every 100th queue holds 100-499 messages, the rest are empty.")
	for _, r := range rs {
		writeSize(w, r)
	}
	writeSummary(w, rs)
	writePublish(w, pub)
	return nil
}

// writePublish reports repeat mode against the plain amqp091-go publisher.
func writePublish(w io.Writer, p *PublishResult) {
	if p == nil {
		return
	}
	fmt.Fprintf(w, "\n## Publishing %d messages in repeat mode\n\n", p.N)
	fmt.Fprintf(w, "mqtop's `amqp.Session.PublishRepeat` against a plain amqp091-go publisher (the floor): the same %d-byte transient body, "+
		"mandatory, publisher confirms, at most %d unconfirmed, one channel, to the durable classic queue `%s` purged before each run; "+
		"runs alternate, median of %d; msg/s from the first publish to the last confirm.\n\n", p.BodyBytes, p.Window, p.Queue, p.Reps)
	fmt.Fprintln(w, "| publisher | runs, msg/s | median msg/s |\n|---|---|--:|")
	runs := func(xs []float64) string {
		var parts []string
		for _, x := range xs {
			parts = append(parts, fmt.Sprintf("%.0f", x))
		}
		return strings.Join(parts, ", ")
	}
	fmt.Fprintf(w, "| plain amqp091-go (floor) | %s | %.0f |\n", runs(p.FloorMsgsPerSec), p.FloorMedian)
	fmt.Fprintf(w, "| mqtop PublishRepeat | %s | %.0f |\n", runs(p.MqtopMsgsPerSec), p.MqtopMedian)
	fmt.Fprintf(w, "| mqtop PublishRepeat, whole call (channel open included) | %s | %.0f |\n", runs(p.MqtopWallMsgsPerSec), p.MqtopWall)
	fmt.Fprintf(w, "\nmqtop reaches **%.0f %%** of the floor; target ≥ 80 %%: %s.\n", 100*p.Ratio, yes(p.Ratio >= 0.8))
	for _, e := range p.Errors {
		fmt.Fprintf(w, "- %s\n", e)
	}
}

func machine() string {
	host, _ := os.Hostname()
	n := 0
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		n = strings.Count(string(data), "\nprocessor")
		if strings.HasPrefix(string(data), "processor") {
			n++
		}
	}
	return fmt.Sprintf("%s (%d CPUs)", host, n)
}

func brokerVersion() string {
	if v := os.Getenv("MQTOP_BENCH_BROKER_VERSION"); v != "" {
		return v
	}
	return "(see dpkg -s rabbitmq-server)"
}

func ms(v float64) string {
	switch {
	case v == 0:
		return "–"
	case v < 10:
		return fmt.Sprintf("%.2f", v)
	case v < 100:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.0f", v)
}

func kb(b int64) string {
	switch {
	case b < 10<<10:
		return fmt.Sprintf("%d B", b)
	case b < 10<<20:
		return fmt.Sprintf("%.0f KB", float64(b)/1024)
	}
	return fmt.Sprintf("%.1f MB", float64(b)/(1<<20))
}

func yes(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}

// cycleFloor is the broker's critical path for one refresh: overview, nodes
// and the list are fetched concurrently, so it is the longest of the three;
// for a fresh Prometheus source the list is the scrape and then the GETs.
func cycleFloor(r *SizeResult, c Cycle) float64 {
	f := r.Floors
	var list float64
	switch {
	case c.Source == "prometheus" && c.Cold:
		// On a cluster the member list comes first ("members": 0 otherwise).
		list = f["members"].MedianMs + f["scrape"].MedianMs + f["gets-"+c.Order].MedianMs
	case c.Source == "prometheus":
		list = f["gets-"+c.Order].MedianMs
	default:
		list = f["page-"+c.Order].MedianMs
	}
	return max(list, f["overview"].MedianMs, f["nodes"].MedianMs)
}

func cycleName(c Cycle) string {
	s := c.Source + ", " + c.Order + " order"
	switch {
	case c.Cold:
		s += ", fresh start (scrape + GETs)"
	case c.Source == "prometheus":
		s += ", index kept"
	}
	return s
}

func findCycle(r *SizeResult, source, order string, cold bool) (Cycle, bool) {
	for _, c := range r.Cycles {
		if c.Source == source && c.Order == order && c.Cold == cold {
			return c, true
		}
	}
	return Cycle{}, false
}

func findCPU(r *SizeResult, prefix string) (Window, bool) {
	for _, w := range r.CPU {
		if strings.HasPrefix(w.Name, prefix) {
			return w, true
		}
	}
	return Window{}, false
}

func writeSize(w io.Writer, r *SizeResult) {
	st := r.Settings
	if cr := r.Cluster; cr != nil {
		fmt.Fprintf(w, "\n## %d-node cluster: %d queues (%d quorum), classic ones a third per node\n\n", cr.Nodes, r.Size, cr.Quorum)
		fmt.Fprintf(w, "Cluster start-up %.1f s; definitions import %.1f s (through each node); %d messages published to %d queues in %.1f s; "+
			"statistics settled %.1f s later; the beams' RSS %v MB (%.0f MB in all). mqtop is given every node's Prometheus endpoint "+
			"(`--prometheus-url` with the three, through recording proxies) so that the floors below are the requests it sent; "+
			"broker CPU is every node's beam summed.\n",
			r.StartupS, r.ImportS, r.Messages, r.DeepQueues, r.PublishS, r.SettleS, roundAll(cr.RSSMB), r.BrokerRSSMB)
		fmt.Fprint(w, cr.markdown())
		fmt.Fprintln(w)
	} else {
		fmt.Fprintf(w, "\n## %d queues\n\n", r.Size)
		fmt.Fprintf(w, "Broker start-up %.1f s; definitions import %.1f s; %d messages published to %d queues in %.1f s; statistics settled %.1f s later; broker RSS %.0f MB.\n",
			r.StartupS, r.ImportS, r.Messages, r.DeepQueues, r.PublishS, r.SettleS, r.BrokerRSSMB)
	}
	fmt.Fprintf(w, "mqtop's HTTP transport sent `Accept-Encoding: %s`; the broker answered `Content-Encoding: %s`.\n",
		orNone(r.GoAcceptEncoding), orNone(r.ContentEncoding))

	fmt.Fprintf(w, "\n### (a) Floors: the broker's own time and bytes (curl, same URL and headers as mqtop, kept-alive, median of %d)\n\n", st.Reps)
	fmt.Fprintln(w, "| query | request | broker ms | min ms | bytes on the wire |\n|---|---|--:|--:|--:|")
	for _, k := range []string{"overview", "nodes", "members", "scrape", "gets-name", "gets-depth", "page-name", "page-depth", "peer-full", "peer-sort"} {
		f, ok := r.Floors[k]
		if !ok {
			continue
		}
		extra := ""
		if f.SumOver8 > 0 {
			extra = fmt.Sprintf(" (sum/8: %s)", ms(f.SumOver8))
		}
		if f.TimedOut {
			fmt.Fprintf(w, "| %s | `%s` | > %.0f s (given up) | – | – |\n", f.Label, f.Query, f.MedianMs/1000)
			continue
		}
		fmt.Fprintf(w, "| %s | `%s` | %s%s | %s | %s |\n", f.Label, f.Query, ms(f.MedianMs), extra, ms(f.MinMs), kb(f.Bytes))
	}
	fmt.Fprintln(w, "\nPer-queue GETs: one curl fetching the screen's URLs 8 at a time, wall time per screen (curl start-up taken off); sum/8 is the sum of their times over 8.")

	fmt.Fprintf(w, "\n### (b) mqtop's refresh: request + decode + render, 120x40 (median of n refreshes: up to %d, fewer when slow, %s at most per run; Prometheus fresh start: %d)\n\n",
		st.Refreshes, st.CycleBudget, st.Reps)
	fmt.Fprintln(w, "| source, order | median ms | of which poll / draw | p90 ms | floor ms | × floor | ≤ 1.2× | CPU ms / refresh | RSS peak / steady MB | first row |\n|---|--:|--:|--:|--:|--:|:-:|--:|--:|---|")
	for _, c := range r.Cycles {
		fl := cycleFloor(r, c)
		cpu, rss := "–", "–"
		if !c.Cold && c.N > 0 {
			cpu = ms(c.CPUms / float64(c.N))
			rss = fmt.Sprintf("%.1f / %.1f", c.PeakRSSMB, c.SteadyRSSMB)
		}
		fmt.Fprintf(w, "| %s (n=%d) | %s | %s / %s | %s | %s | %.2f | %s | %s | %s | %s (%d) |\n", cycleName(c), c.N, ms(c.MedianMs),
			ms(c.PollMs), ms(c.DrawMs), ms(c.P90Ms),
			ms(fl), c.MedianMs/fl, yes(c.MedianMs <= 1.2*fl), cpu, rss, c.Top, c.TopMessages)
	}
	fmt.Fprintln(w, "\nPoll: the poll command (overview, nodes and the list, fetched concurrently, and decoded); draw: Update + Render. "+
		"Floor: the longest of overview, nodes and the list part (the screen's GETs; fresh start: scrape + GETs; management: the page). "+
		"CPU and RSS: a process running only mqtop's model, over the timed refreshes, one every", st.Interval.String()+" (or back-to-back when slower).")
	for _, c := range r.Cycles {
		if !c.Cold && c.Source == "prometheus" {
			fmt.Fprintf(w, "Prometheus %s order: %d index scrapes during %d refreshes; first refresh (synchronous scrape) %s ms; Go heap in use %.1f MB.\n",
				c.Order, c.Scrapes, c.N, ms(c.FirstMs), c.HeapInuseMB)
		}
	}

	fmt.Fprintln(w, "\n### (c) The peers' approaches\n\n| approach | broker ms | bytes on the wire | client ms (request + decode) |\n|---|--:|--:|--:|")
	if f, ok := r.Floors["peer-full"]; ok {
		broker, bytes, client := ms(f.MedianMs), kb(f.Bytes), fmt.Sprintf("%s (rabbit-hole ListQueues, %d rows)", ms(r.Peers.FullListMs), r.Peers.FullListRows)
		if f.TimedOut {
			broker, bytes = fmt.Sprintf("> %.0f s", f.MedianMs/1000), "–"
		}
		if r.Peers.FullListCut {
			client = fmt.Sprintf("> %.0f s (rabbit-hole ListQueues given up)", r.Peers.FullListMs/1000)
		}
		fmt.Fprintf(w, "| full `/api/queues` each poll (rabtap, TBunny, rabbitui) | %s | %s | %s |\n", broker, bytes, client)
	}
	if f, ok := r.Floors["peer-sort"]; ok {
		fmt.Fprintf(w, "| management API depth sort, page of 50 | %s | %s | %s |\n", ms(f.MedianMs), kb(f.Bytes), ms(r.Peers.SortPageMs))
	}

	fmt.Fprintf(w, "\n### (c') Broker CPU while watching (%s windows)\n\n", st.CPUWindow)
	fmt.Fprintln(w, "| watcher | polls | broker CPU s | added over idle s | added, % of a core | watcher's CPU s | mqtop RSS peak / now MB |\n|---|--:|--:|--:|--:|--:|--:|")
	for _, c := range r.CPU {
		client, rss := "–", "–"
		if strings.HasPrefix(c.Name, "mqtop") {
			client, rss = fmt.Sprintf("%.2f", c.ClientCPUs), fmt.Sprintf("%.1f / %.1f", c.ClientPeakMB, c.ClientRSSMB)
		}
		fmt.Fprintf(w, "| %s | %d | %.2f | %.2f | %.1f %% | %s | %s |\n", c.Name, c.Polls, c.BrokerCPUs, c.AddedCPUs,
			100*c.AddedCPUs/c.Seconds, client, rss)
	}

	fmt.Fprintln(w, "\n### (d) Terminal output at steady state (real `bin/mqtop` in a 120x40 pty, Prometheus source, name order)")
	if t := r.TTY; t.Refreshes > 0 {
		fmt.Fprintf(w, "\n%d bytes over %d refreshes (%.0f s) = **%.0f bytes per refresh**, while %s received a message a second; start-up wrote %d bytes; mqtop RSS %.1f MB peak, %.1f MB now.\n",
			t.Bytes, t.Refreshes, t.Seconds, t.PerRefresh, strings.Join(hotQueues, " and "), t.StartupBytes, t.ClientPeakMB, t.ClientRSSMB)
	}
	if len(r.Notes) > 0 {
		fmt.Fprintln(w, "\nNotes:")
		for _, n := range r.Notes {
			fmt.Fprintf(w, "- %s\n", n)
		}
	}
	writeTargets(w, r)
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

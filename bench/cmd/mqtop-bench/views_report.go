package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
)

// runViewsReport prints the Markdown of a views.json.
func runViewsReport(files []string) error {
	if len(files) != 1 {
		return fmt.Errorf("usage: mqtop-bench views-report DIR/views.json")
	}
	data, err := os.ReadFile(files[0])
	if err != nil {
		return err
	}
	r := &ViewsResult{}
	if err := json.Unmarshal(data, r); err != nil {
		return fmt.Errorf("%s: %w", files[0], err)
	}
	writeViews(os.Stdout, r)
	return nil
}

func fullMs(f FullList) string {
	if f.N == 0 && !f.TimedOut {
		return "–"
	}
	if f.TimedOut {
		return fmt.Sprintf("> %.0f s", f.MedianMs/1000)
	}
	return ms(f.MedianMs)
}

func ratio(a, b float64) string {
	if a == 0 || b == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f", a/b)
}

// fasterThanFull is how many times the full list's broker time exceeds
// mqtop's first screen ("> N" when the full list was given up).
func fasterThanFull(v ViewResult) (string, float64) {
	if v.First.MedianMs == 0 || (v.Full.N == 0 && !v.Full.TimedOut) {
		return "–", 0
	}
	x := v.Full.MedianMs / v.First.MedianMs
	if v.Full.TimedOut {
		return fmt.Sprintf("> %.0f×", x), x
	}
	if x < 10 {
		return fmt.Sprintf("%.1f×", x), x
	}
	return fmt.Sprintf("%.0f×", x), x
}

func writeViews(w io.Writer, r *ViewsResult) {
	sz := r.Sizes
	fmt.Fprintf(w, "\n## List views: %d connections, %d channels, %d exchanges, %d bindings\n\n",
		sz.Conns, sz.Conns*sz.ChannelsPerConn, sz.Exchanges, sz.Bindings)
	consumers := "no consumers"
	if sz.Consume {
		consumers = fmt.Sprintf("%d consumers (one on each connection's last channel, prefetch 10)", sz.Conns)
	}
	fmt.Fprintf(w, "Run %s on %s, RabbitMQ %s, one fresh broker (`collect_statistics_interval` 5000 ms), loopback only. "+
		"Definitions import (%d exchanges, %d exchange-to-queue bindings over %d queues, %d users with a permission each, %d policies matching nothing) %.1f s; "+
		"%d AMQP connections named `bench-N` with %d channels each and %s, opened by a child process (`mqtop-bench hold-conns`, amqp091-go, 16 at a time) in %.1f s; "+
		"`/api/overview` object totals and the paged lists' `total_count` showed them %.1f s later (%d connections, %d channels, %d exchanges, %d queues, %d consumers); broker RSS %.0f MB.\n\n",
		r.StartedAt.Format("2006-01-02 15:04 UTC"), machine(), brokerVersion(), sz.Exchanges, sz.Bindings, sz.Queues, sz.Users, sz.Policies, r.ImportS,
		sz.Conns, sz.ChannelsPerConn, consumers, r.ConnectS, r.SettleS,
		r.Totals.Connections, r.Totals.Channels, r.Totals.Exchanges, r.Totals.Queues, r.Totals.Consumers, r.BrokerRSSMB)
	fmt.Fprintf(w, "Each view's first screen is one mgmt call with Limit %d, offset 0, default sort (120x40). "+
		"%d rounds per view, one every %s; in each, a quarter interval apart: mqtop's call on a fresh client (its own new connection: **first screen**), "+
		"the floor for it (curl of the same requests, recorded through a proxy, same headers incl. `Accept-Encoding: %s`, on a fresh connection), "+
		"mqtop's call on a kept client (**steady refresh**), and its floor (curl again, its TCP connect time taken off). "+
		"mqtop's time is request + gzip + JSON decode + windowing, in-process. "+
		"Full list: the peers' (TBunny, rabtap) unpaged GET of the endpoint, no `columns=`, by curl with the same `Accept-Encoding`, "+
		"up to 3 times %s apart, after every paged measurement; given up after %s.\n\n",
		viewRows, r.Reps, r.Interval, orNone(r.GoAcceptEncoding), r.Interval, r.FullListCap)
	fmt.Fprintln(w, "| view | API pages | requests | rows / total | first screen ms (p90) | floor ms | × floor | steady ms (p90) | floor ms | × floor | bytes | full list ms | full list bytes | peer client ms | first screen vs full list | ≤ 1.2× floor | ≥ 10× full |")
	fmt.Fprintln(w, "|---|:-:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|:-:|:-:|")
	for _, v := range r.Views {
		paged := "yes"
		if !v.Paged {
			paged = "**no**"
		}
		fx, x := fasterThanFull(v)
		worst := 0.0
		if v.FloorFirst.MedianMs > 0 && v.FloorSteady.MedianMs > 0 {
			worst = max(v.First.MedianMs/v.FloorFirst.MedianMs, v.Steady.MedianMs/v.FloorSteady.MedianMs)
		}
		fullBytes := "–"
		if v.Full.Bytes > 0 {
			fullBytes = kb(v.Full.Bytes)
		}
		fmt.Fprintf(w, "| %s | %s | %d | %d / %d | %s (%s) | %s | %s | %s (%s) | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			v.Name, paged, len(v.Requests), v.Rows, v.Total,
			ms(v.First.MedianMs), ms(v.First.P90Ms), ms(v.FloorFirst.MedianMs), ratio(v.First.MedianMs, v.FloorFirst.MedianMs),
			ms(v.Steady.MedianMs), ms(v.Steady.P90Ms), ms(v.FloorSteady.MedianMs), ratio(v.Steady.MedianMs, v.FloorSteady.MedianMs),
			kb(v.FloorFirst.Bytes), fullMs(v.Full), fullBytes, ms(v.Full.ClientMs), fx, yes(worst > 0 && worst <= 1.2), yes(x >= 10))
	}
	fmt.Fprintln(w, "\nBytes: on the wire (gzip) for the view's requests together. × floor: mqtop's median over the floor's. "+
		"Full list ms: the median of its curl runs (the broker's time); peer client ms: one more GET of it by Go's net/http, gzip, "+
		"decoded into `[]map[string]any` as a peer's client would (– when not measured). "+
		"First screen vs full list: the full list's broker time over mqtop's first screen. "+
		"Bindings, consumers, users and policies do not page in RabbitMQ 3.10: mqtop fetches them whole with `columns=` "+
		"(users: `/api/users` and `/api/permissions`; policies: `/api/policies` and `/api/operator-policies`) and cuts the window itself, "+
		"so their first screen costs about what the full list does, minus the columns it leaves out. "+
		"Vhosts: the page, then one queue count per vhost row (here the single vhost `/`).")
	fmt.Fprintln(w, "\nRequests mqtop sent (first screen):")
	fmt.Fprintln(w)
	for _, v := range r.Views {
		var rs []string
		for _, q := range v.Requests {
			rs = append(rs, "`"+withoutColumns(q)+"`")
		}
		fmt.Fprintf(w, "- %s: %s\n", v.Name, strings.Join(rs, ", "))
	}
	if len(r.Notes) > 0 {
		fmt.Fprintln(w, "\nNotes:")
		for _, n := range r.Notes {
			fmt.Fprintf(w, "- %s\n", n)
		}
	}
	writeViewTargets(w, r)
}

func writeViewTargets(w io.Writer, r *ViewsResult) {
	var worstName, slowName string
	worst, slowest := 0.0, 0.0
	allFloor, allFull := true, true
	var fullMisses []string
	for _, v := range r.Views {
		if v.FloorFirst.MedianMs == 0 || v.FloorSteady.MedianMs == 0 {
			allFloor = false
			continue
		}
		for _, x := range []float64{v.First.MedianMs / v.FloorFirst.MedianMs, v.Steady.MedianMs / v.FloorSteady.MedianMs} {
			if x > worst {
				worst, worstName = x, v.Name
			}
			if x > 1.2 {
				allFloor = false
			}
		}
		fx, x := fasterThanFull(v)
		if x < 10 {
			allFull = false
			fullMisses = append(fullMisses, v.Name+" "+fx)
		}
		if slowest == 0 || x < slowest {
			slowest, slowName = x, v.Name
		}
	}
	fmt.Fprintf(w, "\n### Targets (computed, not asserted)\n\n| target | measured | met |\n|---|---|:-:|\n")
	fmt.Fprintf(w, "| each view ≤ 1.2× its floor (first screen and steady refresh) | worst %.2f× (%s) | %s |\n", worst, worstName, yes(allFloor))
	miss := ""
	if len(fullMisses) > 0 {
		miss = "; below 10×: " + strings.Join(fullMisses, ", ")
	}
	fmt.Fprintf(w, "| each view's first screen ≥ 10× faster than the full list | least %.1f× (%s)%s | %s |\n", slowest, slowName, miss, yes(allFull))
}

// withoutColumns shows a request with its columns= list elided, so that
// the paging parameters are visible.
func withoutColumns(uri string) string {
	path, query, ok := strings.Cut(uri, "?")
	if !ok {
		return uri
	}
	var parts []string
	for _, kv := range strings.Split(query, "&") {
		k, v, _ := strings.Cut(kv, "=")
		if k == "columns" {
			dec, _ := url.QueryUnescape(v)
			v = fmt.Sprintf("(%d fields)", strings.Count(dec, ",")+1)
		}
		parts = append(parts, k+"="+v)
	}
	return path + "?" + strings.Join(parts, "&")
}

package views

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/mqtop/mqtop/internal/history"
	"github.com/mqtop/mqtop/internal/theme"
	"github.com/mqtop/mqtop/keys"
	"github.com/mqtop/mqtop/mgmt"
)

// QueueDetail is the page for one queue: arguments, policy, placement,
// consumers, bindings and charts of what the session has seen.
type QueueDetail struct {
	VHost, Name string

	keys     *keys.Map
	pager    *Pager
	queue    mgmt.Queue
	bindings []mgmt.Binding
	series   *history.Series
	info     RowInfo
	loaded   bool
	width    int
}

// NewQueueDetail opens the page for a queue; data arrives with SetData.
func NewQueueDetail(k *keys.Map, vhost, name string) *QueueDetail {
	d := &QueueDetail{VHost: vhost, Name: name, keys: k, pager: NewPager(k, "")}
	d.pager.SetTitle(fmt.Sprintf("queue %s  vhost %s", Clean(name), Clean(vhost)))
	d.pager.SetContent(theme.Dim.Render("loading…"))
	return d
}

// SetSize gives the page its area.
func (d *QueueDetail) SetSize(w, h int) { d.width = w; d.pager.SetSize(w, h); d.render() }

// SetData stores the latest details and the session history of the queue.
func (d *QueueDetail) SetData(q mgmt.Queue, b []mgmt.Binding, s *history.Series, info RowInfo) {
	d.queue, d.bindings, d.series, d.info, d.loaded = q, b, s, info, true
	d.render()
}

// Queue is the last loaded queue.
func (d *QueueDetail) Queue() (mgmt.Queue, bool) { return d.queue, d.loaded }

// Update scrolls, shows raw JSON on y, and goes back on esc / q.
func (d *QueueDetail) Update(msg tea.KeyPressMsg) tea.Cmd {
	if key.Matches(msg, d.keys.RawJSON.Binding) && d.loaded {
		raw, title := d.queue.Raw, "queue "+d.Name+" in "+d.VHost
		return func() tea.Msg { return RawJSONRequested{Title: title, Raw: raw} }
	}
	vh, name := d.VHost, d.Name
	switch {
	case key.Matches(msg, d.keys.Publish.Binding):
		return func() tea.Msg { return PublishRequested{VHost: vh, Queue: name} }
	case key.Matches(msg, d.keys.RPC.Binding):
		return func() tea.Msg { return RPCRequested{VHost: vh, Queue: name} }
	case key.Matches(msg, d.keys.Browse.Binding) && d.loaded:
		t := d.queue.Type
		return func() tea.Msg { return BrowseRequested{VHost: vh, Queue: name, Type: t} }
	case key.Matches(msg, d.keys.Purge.Binding) && d.loaded:
		ready := d.queue.Ready
		return func() tea.Msg { return PurgeRequested{VHost: vh, Queue: name, Ready: ready} }
	case key.Matches(msg, d.keys.ShowBindings.Binding):
		return emit(OpenViewRequested{View: "bindings", VHost: vh, Filter: Exactly(name)})
	case key.Matches(msg, d.keys.ShowConsumers.Binding):
		return emit(OpenViewRequested{View: "consumers", VHost: vh, Filter: Exactly(name)})
	}
	return d.pager.Update(msg)
}

// View renders the page.
func (d *QueueDetail) View() string { return d.pager.View() }

func (d *QueueDetail) render() {
	if !d.loaded {
		return
	}
	q := d.queue
	var b strings.Builder
	lbl := func(s string) string { return theme.Label.Render(s) }
	flags := []string{Clean(q.Type), Clean(q.State)}
	if q.Durable {
		flags = append(flags, "durable")
	}
	if q.AutoDelete {
		flags = append(flags, "auto-delete")
	}
	if q.Exclusive {
		flags = append(flags, "exclusive")
	}
	fmt.Fprintf(&b, "%s\n", strings.Join(flags, " · "))
	fmt.Fprintf(&b, "%s %s  %s %s  %s %s  %s %s  %s %s\n",
		lbl("ready"), FmtCount(q.Ready), lbl("unacked"), FmtCount(q.Unacked), lbl("total"), FmtCount(q.Messages),
		lbl("consumers"), FmtCount(q.Consumers), lbl("memory"), FmtBytes(q.Memory))
	fmt.Fprintf(&b, "%s %s  %s %s  %s %s  %s %s\n", lbl("in/s"), FmtRate(q.PublishRate), lbl("out/s"), FmtRate(q.DeliverRate),
		lbl("ack/s"), FmtRate(q.AckRate), lbl("trend"), FmtTrend(d.info.Trend))
	if q.Node != "" {
		fmt.Fprintf(&b, "%s %s\n", lbl("node"), Clean(q.Node))
	}
	if q.Leader != "" {
		fmt.Fprintf(&b, "%s %s\n", lbl("leader"), Clean(q.Leader))
	}
	if len(q.Members) > 0 {
		fmt.Fprintf(&b, "%s %s  %s %s\n", lbl("members"), cleanJoin(q.Members), lbl("online"), cleanJoin(q.Online))
	}
	if lim := mgmt.DeliveryLimit(q); lim > 0 {
		fmt.Fprintf(&b, "%s %d\n", lbl("delivery limit"), lim)
	}
	fmt.Fprintf(&b, "%s %s  %s %s\n", lbl("policy"), orNone(q.Policy), lbl("operator policy"), orNone(q.OperatorPolicy))
	b.WriteString(section("Arguments", tableLines(q.Arguments)))
	b.WriteString(section("Effective policy definition", tableLines(q.Effective)))
	b.WriteString(section(fmt.Sprintf("Consumers (%d)", len(mgmt.QueueConsumers(q))), consumerLines(mgmt.QueueConsumers(q))))
	b.WriteString(section(fmt.Sprintf("Bindings (%d)", len(d.bindings)), bindingLines(d.bindings)))
	if d.series != nil && len(d.series.Samples()) > 0 {
		w := max(d.width-2, 20)
		b.WriteString("\n" + Chart(theme.Title.Render("Depth over the session (total)"), d.series.Values(func(s history.Sample) float64 { return s.Messages }), w, 5) + "\n")
		b.WriteString("\n" + Chart(theme.Title.Render("In/s over the session"), d.series.Values(func(s history.Sample) float64 { return s.In }), w, 3) + "\n")
		b.WriteString("\n" + Chart(theme.Title.Render("Out/s over the session"), d.series.Values(func(s history.Sample) float64 { return s.Out }), w, 3) + "\n")
	}
	d.pager.SetContent(b.String())
}

func orNone(s string) string {
	if s == "" {
		return theme.Dim.Render("none")
	}
	return Clean(s)
}

func cleanJoin(ss []string) string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = Clean(s)
	}
	return strings.Join(out, ", ")
}

func section(title string, lines []string) string {
	var b strings.Builder
	b.WriteString("\n" + theme.Title.Render(title) + "\n")
	if len(lines) == 0 {
		b.WriteString(theme.Dim.Render("  none") + "\n")
	}
	for _, l := range lines {
		b.WriteString("  " + l + "\n")
	}
	return b.String()
}

func tableLines(t mgmt.Table) []string {
	keys := make([]string, 0, len(t))
	for k := range t {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		out = append(out, fmt.Sprintf("%s = %s", Clean(k), Clean(valueString(t[k]))))
	}
	return out
}

func valueString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		if x == math.Trunc(x) {
			return fmt.Sprintf("%.0f", x)
		}
		return fmt.Sprint(x)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func consumerLines(cs []mgmt.Consumer) []string {
	if len(cs) == 0 {
		return nil
	}
	out := []string{theme.TableHead.Render(fmt.Sprintf("%-24s %-28s %-6s %8s %-6s", "TAG", "CHANNEL", "ACK", "PREFETCH", "ACTIVE"))}
	for _, c := range cs {
		ack := "auto"
		if c.AckRequired {
			ack = "manual"
		}
		out = append(out, fmt.Sprintf("%-24s %-28s %-6s %8s %-6v", fit(Clean(c.Tag), 24, false), fit(Clean(c.ChannelName), 28, false), ack, FmtCount(c.Prefetch), c.Active))
	}
	return out
}

func bindingLines(bs []mgmt.Binding) []string {
	if len(bs) == 0 {
		return nil
	}
	out := []string{theme.TableHead.Render(fmt.Sprintf("%-24s %-30s %s", "SOURCE", "ROUTING KEY", "ARGUMENTS"))}
	for _, b := range bs {
		src := b.Source
		if src == "" {
			src = "(default exchange)"
		}
		args := ""
		if len(b.Arguments) > 0 {
			args = valueString(map[string]any(b.Arguments))
		}
		out = append(out, fmt.Sprintf("%s %s %s", fit(Clean(src), 24, false), fit(Clean(b.RoutingKey), 30, false), Clean(args)))
	}
	return out
}

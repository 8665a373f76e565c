package tui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/lipgloss/v2"

	"github.com/mqtop/mqtop/internal/history"
	"github.com/mqtop/mqtop/internal/theme"
	"github.com/mqtop/mqtop/mgmt"
	"github.com/mqtop/mqtop/views"
)

// header is three lines: who and what the cluster is, the message totals
// and rates, the object counts and where the data comes from.
func (m *Model) header() string {
	o := m.overview
	c := m.deps.Context
	// Each part has a rank: on a narrow terminal the highest ranks go
	// first, so alarms and the read-only badge are never cut.
	type part struct {
		text string
		rank int
	}
	parts := []part{{theme.Badge(views.Clean(c.Name), theme.ContextColor(c.Color)), 0}}
	if o.ClusterName != "" {
		parts = append(parts, part{theme.Value.Render(views.Clean(o.ClusterName)), 2})
	}
	if f, ok := m.deps.Backend.(failingOver); ok && len(f.Endpoints()) > 1 {
		// A context of several nodes: which one answers, and whether that is
		// because the first stopped answering.
		if o.Node != "" {
			parts = append(parts, part{theme.Label.Render("on ") + views.Clean(m.nodeNames.Short(o.Node)), 1})
		}
		if since := f.FailedOver(); !since.IsZero() {
			parts = append(parts, part{theme.Badge("FAILED OVER "+views.FmtDuration(time.Since(since).Truncate(time.Second)), theme.Warn), 0})
		}
	}
	if o.RabbitMQVersion != "" {
		parts = append(parts, part{theme.Label.Render("RabbitMQ ") + views.Clean(o.RabbitMQVersion), 1},
			part{theme.Label.Render("Erlang ") + views.Clean(o.ErlangVersion), 3})
	}
	if len(m.nodes) > 0 {
		up := 0
		for _, n := range m.nodes {
			if n.Running {
				up++
			}
		}
		st := theme.Ok
		if up < len(m.nodes) {
			st = theme.Error
		}
		parts = append(parts, part{st.Render(fmt.Sprintf("nodes %d/%d", up, len(m.nodes))), 0})
	}
	for _, a := range alarms(m.nodes) {
		parts = append(parts, part{theme.Badge(a, theme.Bad), 0})
	}
	if c.ReadOnly {
		parts = append(parts, part{theme.Badge("READ-ONLY", theme.Warn), 0})
	}
	if m.amqpRefused != nil {
		parts = append(parts, part{theme.Badge("AMQP REFUSED: OTHER BROKER", theme.Bad), 0})
	}
	if m.status.Distrust != "" && m.onQueues() {
		badge := "INDEX INCOMPLETE"
		if strings.HasPrefix(m.status.Distrust, "refused") {
			badge = "PROMETHEUS REFUSED: OTHER BROKER"
		}
		parts = append(parts, part{theme.Badge(badge, theme.Bad), 0})
	}
	if c.Insecure {
		parts = append(parts, part{theme.Badge("TLS NOT VERIFIED", theme.Bad), 0})
	}
	fresh := m.freshness()
	var line1 string
	for drop := 4; drop >= 0; drop-- {
		var l1 []string
		for _, p := range parts {
			if p.rank < drop || p.rank == 0 {
				l1 = append(l1, p.text)
			}
		}
		line1 = joinRight(strings.Join(l1, " "), fresh, m.width)
		if lipgloss.Width(line1) <= m.width {
			break
		}
	}

	l2 := fmt.Sprintf("%s %s  %s %s  %s %s %%s  %s %s  %s %s  %s %s %s",
		theme.Label.Render("ready"), views.FmtCount(o.Ready), theme.Label.Render("unacked"), views.FmtCount(o.Unacked),
		theme.Label.Render("total"), views.FmtCount(o.Messages),
		theme.Label.Render("publish/s"), views.FmtRate(o.PublishRate), theme.Label.Render("deliver/s"), views.FmtRate(o.DeliverRate),
		theme.Label.Render("ack/s"), views.FmtRate(o.AckRate), theme.Dim.Render("("+views.FmtDuration(mgmt.RateWindow)+" avg)"))
	// The sparkline takes what room the numbers leave, up to 20 cells.
	room := min(20, m.width-lipgloss.Width(fmt.Sprintf(l2, ""))-1)
	spark := views.Sparkline(m.totals.Get("").Values(func(s history.Sample) float64 { return s.Messages }), max(room, 0))
	l2 = fmt.Sprintf(l2, theme.Ok.Render(spark))

	l3 := fmt.Sprintf("%s %s  %s %s  %s %s  %s %s",
		theme.Label.Render("connections"), views.FmtCount(o.Connections), theme.Label.Render("channels"), views.FmtCount(o.Channels),
		theme.Label.Render("queues"), views.FmtCount(o.Queues), theme.Label.Render("consumers"), views.FmtCount(o.Consumers))
	line3 := joinRight(l3, m.sourceInfo(), m.width)
	return views.Truncate(line1, m.width) + "\n" + views.Truncate(l2, m.width) + "\n" + views.Truncate(line3, m.width)
}

// failingOver is a backend with several management endpoints (mgmt.Client).
type failingOver interface {
	Endpoints() []string
	FailedOver() time.Time
}

func alarms(nodes []mgmt.Node) []string {
	var out []string
	for _, n := range nodes {
		short := views.Clean(n.Name)
		if n.MemAlarm {
			out = append(out, "MEMORY ALARM "+short)
		}
		if n.DiskAlarm {
			out = append(out, "DISK ALARM "+short)
		}
		if len(n.Partitions) > 0 {
			out = append(out, "PARTITIONED "+short)
		}
	}
	return out
}

// freshness says how old the data is and how fast the API answers, that
// it does not answer (a poll outstanding longer than the interval), or why
// it is stale: as much of the cause as the room the header line's other
// parts leave (noteTrouble says it whole in the status line when that is
// not enough).
func (m *Model) freshness() string {
	if m.measuring {
		return ""
	}
	fit := m.fitFresh
	switch {
	case m.refused:
		return theme.Error.Render(fit(m.refusal() + " — " + m.refusalKeys()))
	case !m.everGood && m.lastErr != nil:
		return theme.Error.Render(fit(m.unreachable()))
	case !m.everGood:
		return theme.Dim.Render("connecting…")
	case m.lastErr == nil && m.unanswered() > 0:
		// The last figure would read as the API's latency now: say it is
		// not answering, and for how long (the clock redraws it).
		return theme.Warning.Render(fit(fmt.Sprintf("api not answering for %ds", int(m.unanswered().Seconds()))))
	case m.lastErr != nil:
		age := time.Since(m.lastGood)
		return theme.Warning.Render(fit(fmt.Sprintf("stale %s: %s", views.FmtDuration(age), views.Clean(m.lastErr.Error()))))
	}
	return theme.Dim.Render(fmt.Sprintf("api %s · every %s", views.FmtDuration(m.lastTook), views.FmtDuration(m.interval)))
}

func (m *Model) sourceInfo() string {
	s := m.status
	switch {
	case !m.onQueues():
		return ""
	case s.Source == "prometheus":
		return theme.Dim.Render(fmt.Sprintf("prometheus index %s old (%s)", views.FmtDuration(s.IndexAge), views.FmtDuration(s.IndexTook)))
	case s.Source == "management" && s.Distrust != "":
		return theme.Error.Render("management API (" + short(fmt.Errorf("%s", s.Distrust)) + ")")
	case s.Source == "management" && s.Fallback != "":
		return theme.Dim.Render("management API (" + short(fmt.Errorf("%s", s.Fallback)) + ")")
	case s.Source != "":
		return theme.Dim.Render(s.Source + " API")
	}
	return ""
}

// short trims an error to what fits a header.
func short(err error) string {
	s := views.Clean(err.Error())
	if len(s) > 70 {
		s = s[:69] + "…"
	}
	return s
}

func joinRight(left, right string, width int) string {
	gap := width - lipgloss.Width(left) - lipgloss.Width(right)
	if right == "" || gap < 2 {
		if right == "" {
			return left
		}
		return left + "  " + right
	}
	return left + strings.Repeat(" ", gap) + right
}

// onQueues: a queue list is in front (the source line is about it).
func (m *Model) onQueues() bool {
	_, ok := m.top().(*queuesScreen)
	return ok
}

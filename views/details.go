package views

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/mqtop/mqtop/internal/msgfmt"
	"github.com/mqtop/mqtop/mgmt"
)

// The detail pages of the connections, channels, users and vhosts views:
// plain text for the pager, every broker-supplied string cleaned.

// detailText collects the lines of a detail page.
type detailText struct{ strings.Builder }

func (t *detailText) section(title string) {
	if t.Len() > 0 {
		t.WriteString("\n")
	}
	t.WriteString(title + "\n")
}

// field writes "  label   value"; an empty value is shown as a dash.
func (t *detailText) field(label, value string) {
	if value == "" {
		value = unknown
	}
	fmt.Fprintf(t, "  %-18s %s\n", label, value)
}

func (t *detailText) line(s string) { t.WriteString("  " + s + "\n") }

// table writes rows under a header, each column as wide as its widest cell.
func (t *detailText) table(header []string, rows [][]string) {
	widths := make([]int, len(header))
	for _, r := range append([][]string{header}, rows...) {
		for i, c := range r {
			widths[i] = max(widths[i], ansi.StringWidth(c))
		}
	}
	for _, r := range append([][]string{header}, rows...) {
		var b strings.Builder
		for i, c := range r {
			if i > 0 {
				b.WriteString("  ")
			}
			b.WriteString(c)
			if i < len(r)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-ansi.StringWidth(c)))
			}
		}
		t.line(b.String())
	}
}

func sinceEpochMs(ms mgmt.Count, now time.Time) string {
	if !ms.OK || ms.N <= 0 {
		return ""
	}
	at := time.UnixMilli(ms.N).UTC()
	return at.Format("2006-01-02 15:04:05 UTC") + " (" + FmtDuration(now.Sub(at)) + " ago)"
}

// ConnectionDetail is a connection's page: who and where, its client
// properties as the client sent them, and its channels.
func ConnectionDetail(c mgmt.Connection, channels []mgmt.Channel, now time.Time) string {
	var t detailText
	t.section("Connection")
	t.field("name", Clean(c.Name))
	if c.Mine {
		t.field("opened by", MineMarker+" mqtop (this program)")
	}
	t.field("user", Clean(c.User))
	t.field("vhost", Clean(c.VHost))
	t.field("node", Clean(c.Node))
	t.field("state", Clean(c.State))
	t.field("type", Clean(c.Type))
	t.field("protocol", Clean(c.Protocol))
	t.field("peer", connPeer(c))
	t.field("TLS", yesNo(c.TLS))
	t.field("connected", sinceEpochMs(c.ConnectedAt, now))
	t.field("recv / send", fmtByteRate(c.RecvRate)+"/s / "+fmtByteRate(c.SendRate)+"/s")
	t.section("Client properties")
	if len(c.ClientProperties) == 0 {
		t.line("none sent")
	}
	for _, l := range msgfmt.HeaderLines(c.ClientProperties, 0, false) {
		t.line(l)
	}
	t.section(fmt.Sprintf("Channels (%d)", len(channels)))
	if len(channels) == 0 {
		t.line("none open")
		return t.String()
	}
	rows := make([][]string, 0, len(channels))
	for _, ch := range channels {
		rows = append(rows, []string{FmtCount(ch.Number), Clean(ch.State), FmtCount(ch.Prefetch), FmtCount(ch.Unacked),
			FmtCount(ch.Unconfirmed), FmtCount(ch.Consumers), yesNo(ch.Confirm), FmtRate(ch.PublishRate), FmtRate(ch.DeliverRate)})
	}
	t.table([]string{"#", "state", "prefetch", "unacked", "unconfirmed", "consumers", "confirm", "publish/s", "deliver/s"}, rows)
	return t.String()
}

// ChannelDetail is a channel's page: its settings and counts, and its
// consumers.
func ChannelDetail(ch mgmt.Channel, consumers []mgmt.ChannelConsumer) string {
	var t detailText
	t.section("Channel")
	t.field("name", Clean(ch.Name))
	t.field("connection", Clean(ch.ConnectionName))
	t.field("number", FmtCount(ch.Number))
	t.field("user", Clean(ch.User))
	t.field("vhost", Clean(ch.VHost))
	t.field("node", Clean(ch.Node))
	t.field("state", Clean(ch.State))
	t.field("prefetch", FmtCount(ch.Prefetch)+" per consumer, "+FmtCount(ch.GlobalPrefetch)+" per channel")
	t.field("unacked", FmtCount(ch.Unacked))
	t.field("unconfirmed", FmtCount(ch.Unconfirmed))
	t.field("confirm mode", yesNo(ch.Confirm))
	t.field("transactional", yesNo(ch.Transactional))
	if ch.IdleSince != "" {
		t.field("idle since", Clean(ch.IdleSince))
	}
	t.field("publish/s", FmtRate(ch.PublishRate))
	t.field("deliver/s", FmtRate(ch.DeliverRate))
	t.field("ack/s", FmtRate(ch.AckRate))
	t.section(fmt.Sprintf("Consumers (%d)", len(consumers)))
	if len(consumers) == 0 {
		t.line("none")
		return t.String()
	}
	rows := make([][]string, 0, len(consumers))
	for _, c := range consumers {
		ack := "manual"
		if !c.AckRequired {
			ack = "auto"
		}
		active := yesNo(c.Active)
		if c.Status != "" {
			active += " (" + Clean(c.Status) + ")"
		}
		args := strings.Join(msgfmt.HeaderLines(c.Arguments, 0, false), ", ")
		rows = append(rows, []string{Clean(c.Tag), Clean(c.Queue), ack, FmtCount(c.Prefetch), active, yesNo(c.Exclusive), args})
	}
	t.table([]string{"tag", "queue", "ack", "prefetch", "active", "exclusive", "arguments"}, rows)
	return t.String()
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// regexCell shows a permission regex; the empty one grants nothing.
func regexCell(re string) string {
	if re == "" {
		return `"" (nothing)`
	}
	return Clean(re)
}

// UserDetail is a user's page: tags, vhost permissions, topic permissions.
func UserDetail(u mgmt.User, topic []mgmt.TopicPermission) string {
	var t detailText
	t.section("User")
	t.field("name", Clean(u.Name))
	tags := make([]string, len(u.Tags))
	for i, tag := range u.Tags {
		tags[i] = Clean(tag)
	}
	t.field("tags", strings.Join(tags, ", "))
	if len(u.Tags) == 0 {
		t.line("no tags: the user cannot use the management UI or mqtop")
	}
	t.section(fmt.Sprintf("Permissions (%s)", plural(len(u.Permissions), "vhost")))
	if len(u.Permissions) == 0 {
		t.line("none: the user can open no vhost")
	} else {
		rows := make([][]string, 0, len(u.Permissions))
		for _, p := range u.Permissions {
			rows = append(rows, []string{Clean(p.VHost), regexCell(p.Configure), regexCell(p.Write), regexCell(p.Read)})
		}
		t.table([]string{"vhost", "configure", "write", "read"}, rows)
	}
	t.section(fmt.Sprintf("Topic permissions (%d)", len(topic)))
	if len(topic) == 0 {
		t.line("none: every topic exchange allows what the vhost permissions allow")
		return t.String()
	}
	rows := make([][]string, 0, len(topic))
	for _, p := range topic {
		rows = append(rows, []string{Clean(p.VHost), exchangeName(mgmt.Exchange{Name: p.Exchange}), regexCell(p.Write), regexCell(p.Read)})
	}
	t.table([]string{"vhost", "exchange", "write", "read"}, rows)
	return t.String()
}

// VHostDetail is a vhost's page: its metadata, counts, state per node and
// limits.
func VHostDetail(h mgmt.VHost, limits map[string]int64) string {
	var t detailText
	t.section("Vhost")
	t.field("name", Clean(h.Name))
	t.field("description", Clean(h.Description))
	tags := make([]string, len(h.Tags))
	for i, tag := range h.Tags {
		tags[i] = Clean(tag)
	}
	t.field("tags", strings.Join(tags, ", "))
	t.field("default queue type", Clean(h.DefaultQueueType))
	t.field("queues", FmtCount(h.Queues))
	t.field("messages", FmtCount(h.Messages)+" ("+FmtCount(h.Ready)+" ready, "+FmtCount(h.Unacked)+" unacked)")
	t.field("tracing", yesNo(h.Tracing))
	if len(h.ClusterState) > 0 {
		nodes := make([]string, 0, len(h.ClusterState))
		for n := range h.ClusterState {
			nodes = append(nodes, n)
		}
		sort.Strings(nodes)
		for i, n := range nodes {
			nodes[i] = Clean(n) + ": " + Clean(h.ClusterState[n])
		}
		t.field("state", strings.Join(nodes, ", "))
	}
	t.section("Limits")
	for _, name := range []string{"max-connections", "max-queues"} {
		v, ok := limits[name]
		switch {
		case !ok:
			t.field(name, "no limit")
		case v < 0:
			t.field(name, "no limit (-1)")
		case v == 0:
			t.field(name, "0 (none allowed)")
		default:
			t.field(name, fmt.Sprint(v))
		}
	}
	var other []string
	for name := range limits {
		if name != "max-connections" && name != "max-queues" {
			other = append(other, name)
		}
	}
	sort.Strings(other)
	for _, name := range other {
		t.field(Clean(name), fmt.Sprint(limits[name]))
	}
	return t.String()
}

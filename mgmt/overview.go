package mgmt

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Overview is the cluster summary shown in the header.
type Overview struct {
	ClusterName     string `json:"cluster_name"`
	RabbitMQVersion string `json:"rabbitmq_version"`
	ErlangVersion   string `json:"erlang_version"`
	Node            string `json:"node"`
	Ready           Count  `json:"ready"`
	Unacked         Count  `json:"unacked"`
	Messages        Count  `json:"messages"`
	PublishRate     Rate   `json:"publish_rate"`
	DeliverRate     Rate   `json:"deliver_rate"`
	AckRate         Rate   `json:"ack_rate"`
	Connections     Count  `json:"connections"`
	Channels        Count  `json:"channels"`
	Queues          Count  `json:"queues"`
	Consumers       Count  `json:"consumers"`
	Exchanges       Count  `json:"exchanges"`
	StatsDisabled   bool   `json:"stats_disabled"`
	Listeners       []Listener
	Raw             json.RawMessage `json:"-"`
}

// Listener is one protocol port a node listens on.
type Listener struct {
	Node     string `json:"node"`
	Protocol string `json:"protocol"`
	IP       string `json:"ip_address"`
	Port     int    `json:"port"`
}

type rawOverview struct {
	ClusterName     Text `json:"cluster_name"`
	RabbitMQVersion Text `json:"rabbitmq_version"`
	ErlangVersion   Text `json:"erlang_version"`
	Node            Text `json:"node"`
	DisableStats    Flag `json:"disable_stats"`
	QueueTotals     *struct {
		Ready    Count `json:"messages_ready"`
		Unacked  Count `json:"messages_unacknowledged"`
		Messages Count `json:"messages"`
	} `json:"queue_totals"`
	MessageStats *messageStats `json:"message_stats"`
	ObjectTotals *struct {
		Connections Count `json:"connections"`
		Channels    Count `json:"channels"`
		Queues      Count `json:"queues"`
		Consumers   Count `json:"consumers"`
		Exchanges   Count `json:"exchanges"`
	} `json:"object_totals"`
	Listeners []Listener `json:"listeners"`
}

// Overview reads GET /api/overview.
func (c *Client) Overview(ctx context.Context) (Overview, error) {
	var raw json.RawMessage
	if err := c.getJSON(ctx, "overview", withRateWindow(url.Values{}), &raw); err != nil {
		return Overview{}, fmt.Errorf("read overview: %w", err)
	}
	o, err := decodeOverview(raw)
	if err == nil {
		c.remember(identityOf(o, c.Endpoint(), time.Now()))
	}
	return o, err
}

func decodeOverview(raw json.RawMessage) (Overview, error) {
	var r rawOverview
	if err := json.Unmarshal(raw, &r); err != nil {
		return Overview{}, fmt.Errorf("decode overview: %w", err)
	}
	o := Overview{
		ClusterName: string(r.ClusterName), RabbitMQVersion: string(r.RabbitMQVersion),
		ErlangVersion: string(r.ErlangVersion), Node: string(r.Node), StatsDisabled: bool(r.DisableStats),
		Listeners: r.Listeners, Raw: raw,
	}
	if t := r.QueueTotals; t != nil {
		o.Ready, o.Unacked, o.Messages = t.Ready, t.Unacked, t.Messages
	}
	if s := r.MessageStats; s != nil {
		o.PublishRate, o.DeliverRate, o.AckRate = s.Publish.get(), s.DeliverGet.get(), s.Ack.get()
	}
	if t := r.ObjectTotals; t != nil {
		o.Connections, o.Channels, o.Queues, o.Consumers, o.Exchanges = t.Connections, t.Channels, t.Queues, t.Consumers, t.Exchanges
	}
	return o, nil
}

// Node is one cluster member.
type Node struct {
	Name          string  `json:"name"`
	Type          string  `json:"type"`
	Running       bool    `json:"running"`
	Uptime        Count   `json:"uptime"`
	MemUsed       Count   `json:"mem_used"`
	MemLimit      Count   `json:"mem_limit"`
	MemAlarm      bool    `json:"mem_alarm"`
	DiskFree      Count   `json:"disk_free"`
	DiskFreeLimit Count   `json:"disk_free_limit"`
	DiskAlarm     bool    `json:"disk_free_alarm"`
	FDUsed        Count   `json:"fd_used"`
	FDTotal       Count   `json:"fd_total"`
	SocketsUsed   Count   `json:"sockets_used"`
	SocketsTotal  Count   `json:"sockets_total"`
	ProcUsed      Count   `json:"proc_used"`
	ProcTotal     Count   `json:"proc_total"`
	Partitions    Strings `json:"partitions"`
	// Version is the node's RabbitMQ version (its rabbit application's):
	// nodes differ during a rolling upgrade.
	Version string `json:"version,omitempty"`
	// QuorumCritical is why stopping the node would cost quorum queues or
	// streams their quorum, "" when it would not or nobody asked; Checked
	// says the node's health check answered (see QuorumCritical).
	QuorumCritical string `json:"quorum_critical,omitempty"`
	QuorumChecked  bool   `json:"-"`
}

type rawNode struct {
	Name          Text    `json:"name"`
	Type          Text    `json:"type"`
	Running       Flag    `json:"running"`
	Uptime        Count   `json:"uptime"`
	MemUsed       Count   `json:"mem_used"`
	MemLimit      Count   `json:"mem_limit"`
	MemAlarm      Flag    `json:"mem_alarm"`
	DiskFree      Count   `json:"disk_free"`
	DiskFreeLimit Count   `json:"disk_free_limit"`
	DiskAlarm     Flag    `json:"disk_free_alarm"`
	FDUsed        Count   `json:"fd_used"`
	FDTotal       Count   `json:"fd_total"`
	SocketsUsed   Count   `json:"sockets_used"`
	SocketsTotal  Count   `json:"sockets_total"`
	ProcUsed      Count   `json:"proc_used"`
	ProcTotal     Count   `json:"proc_total"`
	Partitions    Strings `json:"partitions"`
	Applications  []struct {
		Name    Text `json:"name"`
		Version Text `json:"version"`
	} `json:"applications"`
}

var nodeColumns = "name,type,running,uptime,mem_used,mem_limit,mem_alarm,disk_free,disk_free_limit,disk_free_alarm,fd_used,fd_total,sockets_used,sockets_total,proc_used,proc_total,partitions,applications"

// Nodes reads GET /api/nodes with only the columns the header and overview use.
func (c *Client) Nodes(ctx context.Context) ([]Node, error) {
	var raw []rawNode
	if err := c.getJSON(ctx, "nodes", url.Values{"columns": {nodeColumns}}, &raw); err != nil {
		return nil, fmt.Errorf("list nodes: %w", err)
	}
	out := make([]Node, len(raw))
	for i, r := range raw {
		out[i] = Node{
			Name: string(r.Name), Type: string(r.Type), Running: bool(r.Running), Uptime: r.Uptime,
			MemUsed: r.MemUsed, MemLimit: r.MemLimit, MemAlarm: bool(r.MemAlarm),
			DiskFree: r.DiskFree, DiskFreeLimit: r.DiskFreeLimit, DiskAlarm: bool(r.DiskAlarm),
			FDUsed: r.FDUsed, FDTotal: r.FDTotal, SocketsUsed: r.SocketsUsed, SocketsTotal: r.SocketsTotal,
			ProcUsed: r.ProcUsed, ProcTotal: r.ProcTotal, Partitions: r.Partitions,
		}
		for _, a := range r.Applications {
			if a.Name == "rabbit" {
				out[i].Version = string(a.Version)
			}
		}
	}
	return out, nil
}

// VHosts lists the virtual host names, for `:vhost` completion.
func (c *Client) VHosts(ctx context.Context) ([]string, error) {
	var raw []struct {
		Name Text `json:"name"`
	}
	if err := c.getJSON(ctx, "vhosts", url.Values{"columns": {"name"}}, &raw); err != nil {
		return nil, fmt.Errorf("list vhosts: %w", err)
	}
	out := make([]string, 0, len(raw))
	for _, v := range raw {
		out = append(out, string(v.Name))
	}
	return out, nil
}

// pathEscape escapes one path segment the way the management API expects
// (vhost "/" is "%2F").
func pathEscape(s string) string { return strings.ReplaceAll(url.PathEscape(s), "/", "%2F") }

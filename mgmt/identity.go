package mgmt

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"time"
)

// Identity is who answered the management API: its cluster, the node that
// answered, that node's listeners and the cluster's queue count. Every other
// endpoint mqtop uses (AMQP, Prometheus) must prove it belongs to the same
// cluster before it is trusted: a port on the same host may well be another
// broker's (two nodes on a jump host, a load balancer, one wrong flag).
type Identity struct {
	Cluster   string
	Node      string
	Listeners []Listener
	Queues    Count     // object_totals.queues, for the index's completeness check
	Endpoint  string    // the management URL that answered
	At        time.Time // when it was read
}

func identityOf(o Overview, endpoint string, at time.Time) Identity {
	return Identity{Cluster: o.ClusterName, Node: o.Node, Listeners: o.Listeners, Queues: o.Queues, Endpoint: endpoint, At: at}
}

// remember keeps the identity of the latest overview; Overview calls it.
func (c *Client) remember(id Identity) {
	c.idMu.Lock()
	defer c.idMu.Unlock()
	c.ident = id
}

// Identity returns the management API's identity, read again when the one
// kept from the last overview is older than maxAge or came from another
// management endpoint (after a failover).
func (c *Client) Identity(ctx context.Context, maxAge time.Duration) (Identity, error) {
	c.idMu.Lock()
	id := c.ident
	c.idMu.Unlock()
	if !id.At.IsZero() && time.Since(id.At) <= maxAge && id.Endpoint == c.Endpoint() {
		return id, nil
	}
	if _, err := c.Overview(ctx); err != nil {
		return Identity{}, fmt.Errorf("identify the broker behind %s: %w", c.Endpoint(), err)
	}
	c.idMu.Lock()
	defer c.idMu.Unlock()
	return c.ident, nil
}

// Endpoint kinds that ListenerURL derives.
const (
	KindAMQP       = "AMQP"
	KindPrometheus = "Prometheus"
)

// ListenerURL derives the URL of an AMQP or Prometheus endpoint from the
// listeners the answering node reports: the management URL's host (the
// name the operator reaches the broker by) with the listener's port. TLS
// follows the management URL's scheme where the node offers both.
func ListenerURL(mgmtEndpoint string, id Identity, kind string) (string, error) {
	u, err := url.Parse(mgmtEndpoint)
	if err != nil || u.Hostname() == "" {
		return "", fmt.Errorf("derive the %s endpoint: bad management URL %q", kind, RedactURL(mgmtEndpoint))
	}
	secure := u.Scheme == "https"
	var prefer []string
	scheme := map[string]string{}
	switch kind {
	case KindAMQP:
		prefer = []string{"amqp", "amqp/ssl"}
		scheme = map[string]string{"amqp": "amqp", "amqp/ssl": "amqps"}
	case KindPrometheus:
		prefer = []string{"http/prometheus", "https/prometheus"}
		scheme = map[string]string{"http/prometheus": "http", "https/prometheus": "https"}
	default:
		return "", fmt.Errorf("unknown endpoint kind %q", kind)
	}
	if secure {
		slices.Reverse(prefer)
	}
	if len(id.Listeners) == 0 {
		// The broker shows listeners to monitoring users and administrators
		// only (3.10.8: a management or policymaker user's overview has no
		// listeners and no node). Take the protocol's default port on the
		// management host: the endpoint still has to prove it is this
		// cluster (AMQP by its cluster_name, Prometheus by its identity).
		return scheme[prefer[0]] + "://" + net.JoinHostPort(u.Hostname(), strconv.Itoa(defaultPorts[prefer[0]])), nil
	}
	mine := make([]Listener, 0, len(id.Listeners))
	for _, l := range id.Listeners {
		if l.Node == id.Node {
			mine = append(mine, l)
		}
	}
	if len(mine) == 0 {
		mine = id.Listeners // an old broker that does not name the node
	}
	for _, proto := range prefer {
		for _, l := range mine {
			if l.Protocol == proto && l.Port > 0 {
				return scheme[proto] + "://" + net.JoinHostPort(u.Hostname(), strconv.Itoa(l.Port)), nil
			}
		}
	}
	hint := ""
	if kind == KindPrometheus {
		hint = " (is the rabbitmq_prometheus plugin enabled?)"
	}
	return "", fmt.Errorf("node %s lists no %s listener%s; set the %s URL explicitly", id.Node, kind, hint, kind)
}

// defaultPorts are RabbitMQ's default listener ports, for users the broker
// shows no listeners to.
var defaultPorts = map[string]int{"amqp": 5672, "amqp/ssl": 5671, "http/prometheus": 15692, "https/prometheus": 15691}

// WrongBroker is the refusal of an endpoint that proved to belong to
// another cluster than the management API's.
type WrongBroker struct {
	Kind, URL           string // "Prometheus", the endpoint refused
	GotCluster, GotNode string // who answered there
	WantCluster         string // the management API's cluster
	WantNode            string // set when the endpoint was derived for this node
	Mgmt                string // the management URL
}

func (e *WrongBroker) Error() string {
	got := fmt.Sprintf("cluster %q", e.GotCluster)
	if e.GotNode != "" {
		got += fmt.Sprintf(" (node %s)", e.GotNode)
	}
	want := fmt.Sprintf("cluster %q", e.WantCluster)
	if e.WantNode != "" {
		want += fmt.Sprintf(" (node %s)", e.WantNode)
	}
	return fmt.Sprintf("refused %s endpoint %s: it is %s, not %s of the management API at %s",
		e.Kind, RedactURL(e.URL), got, want, RedactURL(e.Mgmt))
}

// checkIdentity compares what an endpoint said about itself with the
// management API's identity. A derived endpoint must be the very node that
// answered the management API; a configured one any node of its cluster.
func checkIdentity(kind, endpoint string, got promIdentity, want Identity, derived bool) error {
	// want.Node is empty when the broker does not tell this user which node
	// answered (management and policymaker users): the cluster must match.
	wrong := got.Cluster != want.Cluster || (derived && want.Node != "" && got.Node != want.Node)
	if got.Cluster == "" {
		// An endpoint that says nothing about itself cannot be trusted either.
		wrong = true
	}
	if !wrong {
		return nil
	}
	e := &WrongBroker{Kind: kind, URL: endpoint, GotCluster: got.Cluster, GotNode: got.Node, WantCluster: want.Cluster, Mgmt: want.Endpoint}
	if derived {
		e.WantNode = want.Node
	}
	if got.Cluster == "" {
		e.GotCluster = "unknown: no rabbitmq_identity_info in its metrics"
	}
	return e
}

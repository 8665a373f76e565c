package mgmt

import "encoding/json"

// Queue is one queue as mqtop shows it; every stats field may be unknown.
type Queue struct {
	VHost          string  `json:"vhost"`
	Name           string  `json:"name"`
	Type           string  `json:"type"`
	State          string  `json:"state"`
	Node           string  `json:"node"`
	Leader         string  `json:"leader"`
	Members        Strings `json:"members"`
	Online         Strings `json:"online"`
	Policy         string  `json:"policy"`
	OperatorPolicy string  `json:"operator_policy"`
	Durable        bool    `json:"durable"`
	AutoDelete     bool    `json:"auto_delete"`
	Exclusive      bool    `json:"exclusive"`
	Arguments      Table   `json:"arguments"`
	Effective      Table   `json:"effective_policy_definition"`
	Ready          Count   `json:"messages_ready"`
	Unacked        Count   `json:"messages_unacknowledged"`
	Messages       Count   `json:"messages"`
	Consumers      Count   `json:"consumers"`
	Memory         Count   `json:"memory"`
	PublishRate    Rate    `json:"publish_rate"`
	DeliverRate    Rate    `json:"deliver_rate"`
	AckRate        Rate    `json:"ack_rate"`
	IdleSince      string  `json:"idle_since,omitempty"`
	// Detailed marks rows whose non-index columns (type, state, rates) were
	// fetched; rows known only from the Prometheus index have it false.
	Detailed bool `json:"-"`
	// Raw is the broker's own JSON for this queue, for the `y` view.
	Raw json.RawMessage `json:"-"`
}

// Key identifies a queue across vhosts.
func (q Queue) Key() string { return q.VHost + "\x00" + q.Name }

// Home is the node a queue lives on: a quorum queue's leader, another
// queue's node ("" when the broker did not say).
func (q Queue) Home() string {
	if q.Leader != "" {
		return q.Leader
	}
	return q.Node
}

// UnderReplicated: a replicated queue (quorum, stream) with members that
// are not online.
func (q Queue) UnderReplicated() bool {
	return len(q.Members) > 0 && len(q.Online) < len(q.Members)
}

// rawQueue mirrors the broker's JSON with every field lenient.
type rawQueue struct {
	VHost          Text          `json:"vhost"`
	Name           Text          `json:"name"`
	Type           Text          `json:"type"`
	State          Text          `json:"state"`
	Node           Text          `json:"node"`
	Leader         Text          `json:"leader"`
	Members        Strings       `json:"members"`
	Online         Strings       `json:"online"`
	Policy         Text          `json:"policy"`
	OperatorPolicy Text          `json:"operator_policy"`
	Durable        Flag          `json:"durable"`
	AutoDelete     Flag          `json:"auto_delete"`
	Exclusive      Flag          `json:"exclusive"`
	Arguments      Table         `json:"arguments"`
	Effective      Table         `json:"effective_policy_definition"`
	Ready          Count         `json:"messages_ready"`
	Unacked        Count         `json:"messages_unacknowledged"`
	Messages       Count         `json:"messages"`
	Consumers      Count         `json:"consumers"`
	Memory         Count         `json:"memory"`
	IdleSince      Text          `json:"idle_since"`
	MessageStats   *messageStats `json:"message_stats"`
}

func (r rawQueue) queue(raw json.RawMessage) Queue {
	q := Queue{
		VHost: string(r.VHost), Name: string(r.Name), Type: string(r.Type), State: string(r.State),
		Node: string(r.Node), Leader: string(r.Leader), Members: r.Members, Online: r.Online,
		Policy: string(r.Policy), OperatorPolicy: string(r.OperatorPolicy),
		Durable: bool(r.Durable), AutoDelete: bool(r.AutoDelete), Exclusive: bool(r.Exclusive),
		Arguments: r.Arguments, Effective: r.Effective,
		Ready: r.Ready, Unacked: r.Unacked, Messages: r.Messages, Consumers: r.Consumers, Memory: r.Memory,
		IdleSince: string(r.IdleSince), Detailed: true, Raw: raw,
	}
	if q.Type == "" {
		q.Type = "classic" // brokers before 3.8 had only classic queues and did not say so
	}
	if r.MessageStats != nil {
		q.PublishRate = r.MessageStats.Publish.get()
		q.DeliverRate = r.MessageStats.DeliverGet.get()
		q.AckRate = r.MessageStats.Ack.get()
	}
	if !q.Messages.OK && q.Ready.OK && q.Unacked.OK {
		q.Messages = C(q.Ready.N + q.Unacked.N)
	}
	return q
}

func decodeQueue(b json.RawMessage) (Queue, error) {
	var r rawQueue
	if err := json.Unmarshal(b, &r); err != nil {
		return Queue{}, err
	}
	return r.queue(b), nil
}

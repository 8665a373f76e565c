package mgmt

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Explaining a re-declare the broker refused as inequivalent.

// IsPreconditionFailed reports whether err is the management API's answer
// to re-declaring a queue or exchange with other properties: a 400 whose
// reason starts "inequivalent arg" (over AMQP, a 406 PRECONDITION_FAILED).
func IsPreconditionFailed(err error) bool {
	var he *HTTPError
	return errors.As(err, &he) && he.Status == http.StatusBadRequest && strings.Contains(he.Reason, "inequivalent arg")
}

// ExplainQueueConflict reads the existing queue and says how it differs
// from d, after IsPreconditionFailed; "" when nothing differs.
func (c *Client) ExplainQueueConflict(ctx context.Context, vhost string, d QueueDecl) (string, error) {
	var raw json.RawMessage
	v := url.Values{"columns": {"name,vhost,type,durable,auto_delete,exclusive,arguments"}}
	if err := c.getJSON(ctx, "queues/"+pathEscape(vhost)+"/"+pathEscape(d.Name), v, &raw); err != nil {
		return "", fmt.Errorf("get queue %q%s: %w", d.Name, inVHost(vhost), err)
	}
	q, err := decodeQueue(raw)
	if err != nil {
		return "", fmt.Errorf("decode queue %q%s: %w", d.Name, inVHost(vhost), err)
	}
	return ExplainPrecondition(q, d), nil
}

// ExplainExchangeConflict is ExplainQueueConflict for an exchange.
func (c *Client) ExplainExchangeConflict(ctx context.Context, vhost string, d ExchangeDecl) (string, error) {
	var raw json.RawMessage
	v := url.Values{"columns": {"name,vhost,type,durable,auto_delete,internal,arguments"}}
	if err := c.getJSON(ctx, "exchanges/"+pathEscape(vhost)+"/"+exchangeSegment(d.Name), v, &raw); err != nil {
		return "", fmt.Errorf("get exchange %q%s: %w", d.Name, inVHost(vhost), err)
	}
	e, err := decodeExchange(raw)
	if err != nil {
		return "", fmt.Errorf("decode exchange %q%s: %w", d.Name, inVHost(vhost), err)
	}
	return ExplainExchangePrecondition(e, d), nil
}

// ExplainPrecondition sets an existing queue beside the declaration that
// the broker refused, one line per property that differs: "queue "orders"
// exists with x-message-ttl=60000; you asked for 30000". Strings are
// quoted so that "60000" and 60000 read differently, as they are to the
// broker. "" when nothing differs.
func ExplainPrecondition(existing Queue, requested QueueDecl) string {
	args := copyTable(requested.Arguments)
	reqType := cmp.Or(requested.Type, stringArg(args, "x-queue-type"))
	delete(args, "x-queue-type")
	have := copyTable(existing.Arguments)
	delete(have, "x-queue-type")
	e := explainer{what: "queue " + strconv.Quote(cmp.Or(existing.Name, requested.Name))}
	if reqType != "" { // none asked: the vhost's default, which may be any
		e.prop("type", cmp.Or(existing.Type, "classic"), reqType)
	}
	e.prop("durable", existing.Durable, requested.Durable)
	e.prop("auto_delete", existing.AutoDelete, requested.AutoDelete)
	e.args(have, args)
	return strings.Join(e.lines, "\n")
}

// ExplainExchangePrecondition is ExplainPrecondition for an exchange.
func ExplainExchangePrecondition(existing Exchange, requested ExchangeDecl) string {
	e := explainer{what: "exchange " + strconv.Quote(cmp.Or(existing.Name, requested.Name))}
	e.prop("type", existing.Type, requested.Type)
	e.prop("durable", existing.Durable, requested.Durable)
	e.prop("auto_delete", existing.AutoDelete, requested.AutoDelete)
	e.prop("internal", existing.Internal, requested.Internal)
	e.args(existing.Arguments, exchangeArguments(requested))
	return strings.Join(e.lines, "\n")
}

func stringArg(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

type explainer struct {
	what  string
	lines []string
}

func (e *explainer) prop(name string, have, want any) {
	if have != want {
		e.lines = append(e.lines, fmt.Sprintf("%s exists with %s=%v; you asked for %v", e.what, name, have, want))
	}
}

func (e *explainer) args(have, want map[string]any) {
	keys := sortedKeys(have)
	for k := range want {
		if _, ok := have[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		h, hok := have[k]
		w, wok := want[k]
		if hok && wok && describeValue(h) == describeValue(w) {
			continue
		}
		line := e.what + " exists with " + k
		if hok {
			line += "=" + describeValue(h)
		} else {
			line += " not set"
		}
		if wok {
			line += "; you asked for " + describeValue(w)
		} else {
			line += "; you did not set it"
		}
		e.lines = append(e.lines, line)
	}
}

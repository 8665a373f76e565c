package mgmt

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	rabbithole "github.com/michaelklishin/rabbit-hole/v3"
)

// The mutations of topology editing. Each refuses in read-only mode before
// any I/O, checks what mqtop can check without the broker, and names the
// object and the vhost in its error.
//
// rabbit-hole's typed calls are used where they fit: DeclareQueue,
// DeclareBinding and the lists of bindings between two ends. Not for the
// rest: ExchangeSettings has no `internal`, DeleteExchange has no
// if-unused, and rabbit-hole takes a 404 answering a DELETE for success, so
// removing a binding that is not there would look done.

var (
	// ErrNoSuchBinding: the binding to remove is not there.
	ErrNoSuchBinding = errors.New("no such binding")
	// ErrNothingToChange: a rebind to the binding it starts from.
	ErrNothingToChange = errors.New("nothing to change")
)

// QueueDecl is a queue to declare. It has no Exclusive: the management API
// cannot declare an exclusive queue (no connection would own it) and,
// asked to, silently declares a non-exclusive one (seen on 3.10.8).
type QueueDecl struct {
	Name string
	// Type is classic, quorum or stream, sent as x-queue-type; "" sends
	// none, so the vhost's default type applies (classic unless set).
	Type                string
	Durable, AutoDelete bool
	Arguments           map[string]any
}

// ExchangeDecl is an exchange to declare; AlternateExchange, when set, is
// sent as the alternate-exchange argument.
type ExchangeDecl struct {
	Name, Type                    string
	Durable, AutoDelete, Internal bool
	AlternateExchange             string
	Arguments                     map[string]any
}

// DeclareQueue declares a queue (PUT /api/queues/{vhost}/{name}); declaring
// one that exists with the same properties does nothing. One that exists
// with other properties is a 400 whose reason starts "inequivalent arg"
// (the AMQP 406 PRECONDITION_FAILED): IsPreconditionFailed tells, and
// ExplainQueueConflict says what differs.
func (c *Client) DeclareQueue(ctx context.Context, vhost string, d QueueDecl) error {
	if c.readOnly {
		return ErrReadOnly
	}
	wrap := func(err error) error { return fmt.Errorf("declare queue %q%s: %w", d.Name, inVHost(vhost), err) }
	args := copyTable(d.Arguments)
	if err := checkQueueDecl(d, args); err != nil {
		return wrap(err)
	}
	settings := rabbithole.QueueSettings{Type: d.Type, Durable: d.Durable, AutoDelete: d.AutoDelete, Arguments: args}
	path := "queues/" + pathEscape(vhost) + "/" + pathEscape(d.Name)
	if err := c.rhSend(ctx, http.MethodPut, path, func(rc *rabbithole.Client) (*http.Response, error) {
		return rc.DeclareQueue(vhost, d.Name, settings)
	}); err != nil {
		return wrap(err)
	}
	return nil
}

func checkQueueDecl(d QueueDecl, args map[string]any) error {
	if err := checkName("queue", d.Name); err != nil {
		return err
	}
	typ := d.Type
	if typ == "" {
		typ, _ = args["x-queue-type"].(string)
	}
	if typ != "" && !slices.Contains(allQueueTypes, typ) {
		return fmt.Errorf("unknown queue type %s (classic, quorum or stream)", strconv.Quote(typ))
	}
	if typ == "quorum" || typ == "stream" {
		switch {
		case !d.Durable:
			return fmt.Errorf("%s queues are always durable", typ)
		case d.AutoDelete:
			return fmt.Errorf("%s queues cannot be auto-delete", typ)
		}
	}
	return CheckQueueArgs(typ, args, "")
}

// checkName refuses what the broker would refuse with a misleading answer:
// no name, or one starting "amq." (401 "Access refused.", read as a login
// failure).
func checkName(kind, name string) error {
	switch {
	case name == "":
		return fmt.Errorf("the %s needs a name", kind)
	case strings.HasPrefix(name, "amq."):
		return fmt.Errorf("%s names starting \"amq.\" are reserved for the broker", kind)
	case len(name) > maxShortString:
		return fmt.Errorf("the %s name is %d bytes; AMQP allows at most %d", kind, len(name), maxShortString)
	}
	return nil
}

// DeclareExchange declares an exchange (PUT /api/exchanges/{vhost}/{name}).
func (c *Client) DeclareExchange(ctx context.Context, vhost string, d ExchangeDecl) error {
	if c.readOnly {
		return ErrReadOnly
	}
	wrap := func(err error) error { return fmt.Errorf("declare exchange %q%s: %w", d.Name, inVHost(vhost), err) }
	args := exchangeArguments(d)
	if err := checkName("exchange", d.Name); err != nil {
		return wrap(err)
	}
	if d.Type == "" {
		return wrap(errors.New("the exchange needs a type"))
	}
	if ae, ok := d.Arguments["alternate-exchange"]; ok && d.AlternateExchange != "" && ae != d.AlternateExchange {
		return wrap(fmt.Errorf("alternate-exchange is given twice: %v and %q", ae, d.AlternateExchange))
	}
	body := map[string]any{"type": d.Type, "durable": d.Durable, "auto_delete": d.AutoDelete, "internal": d.Internal, "arguments": args}
	if err := c.sendEdit(ctx, http.MethodPut, "exchanges/"+pathEscape(vhost)+"/"+pathEscape(d.Name), body); err != nil {
		return wrap(err)
	}
	return nil
}

// exchangeArguments is d's arguments with the alternate exchange, never nil
// ("arguments": null is a 500 on 3.10.8).
func exchangeArguments(d ExchangeDecl) map[string]any {
	args := copyTable(d.Arguments)
	if d.AlternateExchange != "" {
		args["alternate-exchange"] = d.AlternateExchange
	}
	return args
}

// DeleteExchange deletes an exchange; with ifUnused the broker refuses (400
// "in use") while it is the source of a binding. The bindings that would
// go with it are ExchangeBindings' from and to.
func (c *Client) DeleteExchange(ctx context.Context, vhost, name string, ifUnused bool) error {
	if c.readOnly {
		return ErrReadOnly
	}
	wrap := func(err error) error { return fmt.Errorf("delete exchange %q%s: %w", name, inVHost(vhost), err) }
	if name == "" {
		return wrap(errors.New("the default exchange cannot be deleted"))
	}
	if err := checkName("exchange", name); err != nil {
		return wrap(err)
	}
	path := "exchanges/" + pathEscape(vhost) + "/" + pathEscape(name)
	if ifUnused {
		path += "?if-unused=true"
	}
	if err := c.sendEdit(ctx, http.MethodDelete, path, nil); err != nil {
		return wrap(err)
	}
	return nil
}

// Bind adds a binding (b.VHost and b.PropertiesKey are ignored). Adding one
// that exists does nothing.
func (c *Client) Bind(ctx context.Context, vhost string, b Binding) error {
	if c.readOnly {
		return ErrReadOnly
	}
	if err := c.bind(ctx, vhost, b); err != nil {
		return fmt.Errorf("add binding %s%s: %w", b.describe(), inVHost(vhost), err)
	}
	return nil
}

func (c *Client) bind(ctx context.Context, vhost string, b Binding) error {
	if err := checkNewBinding(b); err != nil {
		return err
	}
	info := rabbithole.BindingInfo{Source: b.Source, Destination: b.Destination, DestinationType: b.DestinationType,
		RoutingKey: b.RoutingKey, Arguments: copyTable(b.Arguments)}
	return c.rhSend(ctx, http.MethodPost, bindingPath(vhost, b), func(rc *rabbithole.Client) (*http.Response, error) {
		return rc.DeclareBinding(vhost, info)
	})
}

// checkEnds refuses a binding the API cannot address: the default
// exchange's bindings are implicit and the broker answers 401 "Access
// refused." to touching them.
func checkEnds(b Binding) error {
	switch {
	case b.Source == "":
		return errors.New("the default exchange's bindings are implicit (one per queue) and cannot be added or removed")
	case b.DestinationType != "queue" && b.DestinationType != "exchange":
		return fmt.Errorf("destination type must be queue or exchange, got %s", strconv.Quote(b.DestinationType))
	case b.Destination == "":
		return errors.New("the binding needs a destination")
	}
	return nil
}

// checkNewBinding refuses a routing key containing "~" with arguments: the
// management API creates that binding, answers 500, and from then on
// answers 500 to every bindings list that would include it (its properties
// key is built as key~hash; seen on 3.10.8, and the code is unchanged in
// 2024's sources).
func checkNewBinding(b Binding) error {
	if err := checkEnds(b); err != nil {
		return err
	}
	if strings.Contains(b.RoutingKey, "~") && len(b.Arguments) > 0 {
		return errors.New(`a routing key containing "~" cannot have binding arguments: the management API cannot list such a binding (500)`)
	}
	if len(b.RoutingKey) > maxShortString {
		return fmt.Errorf("the routing key is %d bytes; AMQP allows at most %d", len(b.RoutingKey), maxShortString)
	}
	return nil
}

// Unbind removes a binding by its properties key; without one, it finds
// the binding between b's ends with b's routing key and arguments. One
// that is not there is ErrNoSuchBinding.
func (c *Client) Unbind(ctx context.Context, vhost string, b Binding) error {
	if c.readOnly {
		return ErrReadOnly
	}
	if err := c.unbind(ctx, vhost, b); err != nil {
		return fmt.Errorf("remove binding %s%s: %w", b.describe(), inVHost(vhost), err)
	}
	return nil
}

func (c *Client) unbind(ctx context.Context, vhost string, b Binding) error {
	if err := checkEnds(b); err != nil {
		return err
	}
	if b.PropertiesKey == "" {
		found, err := c.findBinding(ctx, vhost, b)
		if err != nil {
			return err
		}
		if found == nil {
			return ErrNoSuchBinding
		}
		b.PropertiesKey = found.PropertiesKey
	}
	return c.deleteBinding(ctx, vhost, b)
}

// deleteBinding DELETEs by properties key; a 404 is ErrNoSuchBinding.
func (c *Client) deleteBinding(ctx context.Context, vhost string, b Binding) error {
	err := c.sendEdit(ctx, http.MethodDelete, bindingPath(vhost, b)+"/"+pathEscape(b.PropertiesKey), nil)
	if StatusOf(err) == http.StatusNotFound {
		return fmt.Errorf("%w (%w)", ErrNoSuchBinding, err)
	}
	return err
}

func bindingPath(vhost string, b Binding) string {
	kind := "q"
	if b.DestinationType == "exchange" {
		kind = "e"
	}
	return "bindings/" + pathEscape(vhost) + "/e/" + pathEscape(b.Source) + "/" + kind + "/" + pathEscape(b.Destination)
}

// findBinding lists the bindings between b's ends and returns the one with
// b's routing key and arguments, or nil.
func (c *Client) findBinding(ctx context.Context, vhost string, b Binding) (*Binding, error) {
	list, err := c.bindingsBetween(ctx, vhost, b)
	if err != nil {
		return nil, err
	}
	for _, got := range list {
		if got.RoutingKey == b.RoutingKey && sameArgs(got.Arguments, b.Arguments) {
			return &got, nil
		}
	}
	return nil, nil
}

func (c *Client) bindingsBetween(ctx context.Context, vhost string, b Binding) ([]Binding, error) {
	cctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	start := time.Now()
	rc := c.rh(cctx)
	var list []rabbithole.BindingInfo
	var err error
	if b.DestinationType == "exchange" {
		list, err = rc.ListExchangeBindingsBetween(vhost, b.Source, b.Destination)
	} else {
		list, err = rc.ListQueueBindingsBetween(vhost, b.Source, b.Destination)
	}
	if err != nil {
		err = c.rhErr(ctx, err)
		c.logFailure(ctx, http.MethodGet, c.Endpoint()+"/api/"+bindingPath(vhost, b), StatusOf(err), err, time.Since(start))
		return nil, fmt.Errorf("list bindings: %w", err)
	}
	out := make([]Binding, len(list))
	for i, bi := range list {
		out[i] = Binding{VHost: bi.Vhost, Source: bi.Source, Destination: bi.Destination, DestinationType: bi.DestinationType,
			RoutingKey: bi.RoutingKey, Arguments: Table(bi.Arguments), PropertiesKey: bi.PropertiesKey}
	}
	return out, nil
}

// sameArgs compares argument tables as the API returns them: by their JSON,
// so int64 5 from a form equals the 5 read back, and nil equals {}.
func sameArgs(a, b map[string]any) bool {
	if len(a) == 0 || len(b) == 0 {
		return len(a) == len(b)
	}
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	return errA == nil && errB == nil && string(ja) == string(jb)
}

// describe names a binding in errors and outcomes:
// `"orders" → queue "orders-q", key "eu.#", arguments {"x-match":"all"}`.
func (b Binding) describe() string {
	s := fmt.Sprintf("%q → %s %q, key %q", b.Source, cmp.Or(b.DestinationType, "queue"), b.Destination, b.RoutingKey)
	if len(b.Arguments) > 0 {
		s += ", arguments " + describeValue(map[string]any(b.Arguments))
	}
	return s
}

// copyTable copies a table (the callee may add to it), never nil.
func copyTable(m map[string]any) map[string]any {
	out := make(map[string]any, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	return out
}

// ExchangeType is an exchange type the broker offers (plugins add some:
// x-delayed-message, x-consistent-hash, ...).
type ExchangeType struct {
	Name, Description string
	Enabled           bool
}

// ExchangeTypes reads the exchange types from /api/overview.
func (c *Client) ExchangeTypes(ctx context.Context) ([]ExchangeType, error) {
	var raw struct {
		Types []struct {
			Name        Text  `json:"name"`
			Description Text  `json:"description"`
			Enabled     *Flag `json:"enabled"`
		} `json:"exchange_types"`
	}
	if err := c.getJSON(ctx, "overview", url.Values{"columns": {"exchange_types"}}, &raw); err != nil {
		return nil, fmt.Errorf("list exchange types: %w", err)
	}
	out := make([]ExchangeType, 0, len(raw.Types))
	for _, t := range raw.Types {
		// A broker that does not say is taken to offer it.
		out = append(out, ExchangeType{Name: string(t.Name), Description: string(t.Description), Enabled: t.Enabled == nil || bool(*t.Enabled)})
	}
	return out, nil
}

// rhSend runs one rabbit-hole mutation: refused in read-only mode, bound
// to the client's timeout, its answer drained so the connection is kept,
// its error made mqtop's and logged as c.do logs its own.
func (c *Client) rhSend(ctx context.Context, method, path string, call func(*rabbithole.Client) (*http.Response, error)) error {
	if c.readOnly {
		return ErrReadOnly
	}
	cctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	start := time.Now()
	res, err := call(c.rh(cctx))
	if res != nil && res.Body != nil {
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
	if err != nil {
		err = c.rhErr(ctx, err)
		c.logFailure(ctx, method, c.Endpoint()+"/api/"+path, StatusOf(err), err, time.Since(start))
	}
	return err
}

// rhErr is mutationErr for rabbit-hole's errors. Its 401 drops the body
// that tells a failed login ("Login failed") from a missing permission
// ("Access refused."), so a 401 is followed by one GET /api/whoami: if
// that logs in, the 401 was a permission.
func (c *Client) rhErr(ctx context.Context, err error) error {
	err = mutationErr(err)
	var he *HTTPError
	if !errors.As(err, &he) || he.Status != http.StatusUnauthorized || he.Reason != "" {
		return err
	}
	var who struct {
		Name Text `json:"name"`
	}
	if c.getJSON(ctx, "whoami", nil, &who) == nil {
		return &accessRefused{&HTTPError{Status: http.StatusUnauthorized, Reason: "Access refused."}}
	}
	return err
}

// sendEdit is c.send with mutationErr's reading of the answer.
func (c *Client) sendEdit(ctx context.Context, method, path string, body any) error {
	return mutationErr(c.send(ctx, method, path, body))
}

// mutationErr turns rabbit-hole's errors into mqtop's *HTTPError, and a 401
// "Access refused." (a missing permission, not a failed login: the broker
// says "Login failed" for that) into an error that says so.
func mutationErr(err error) error {
	if err == nil {
		return nil
	}
	var re rabbithole.ErrorResponse
	if errors.As(err, &re) {
		err = &HTTPError{Status: re.StatusCode, Reason: cmp.Or(re.Reason, re.Message)}
	} else if strings.Contains(err.Error(), "responded with a 401") {
		err = &HTTPError{Status: http.StatusUnauthorized} // rabbit-hole's own words, no body kept
	}
	var he *HTTPError
	if errors.As(err, &he) && he.Status == http.StatusUnauthorized && strings.EqualFold(he.Reason, "Access refused.") {
		return &accessRefused{he}
	}
	return redactErr(err)
}

// accessRefused is a 401 "Access refused.": the user is logged in but its
// permissions in the vhost do not allow the change.
type accessRefused struct{ *HTTPError }

func (e *accessRefused) Error() string {
	return "401 access refused: the user's configure/write/read permissions in this vhost do not allow it"
}

func (e *accessRefused) Unwrap() error { return e.HTTPError }

package mgmt

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/mqtop/mqtop/internal/tlshint"
)

// IndexEntry is what the Prometheus plugin says about one queue.
type IndexEntry struct {
	VHost, Name                         string
	Ready, Unacked, Messages, Consumers int64
}

// Key identifies the queue across vhosts.
func (e IndexEntry) Key() string { return e.VHost + "\x00" + e.Name }

// promFamilies are the per-queue metrics of /metrics/detailed we read:
// queue_coarse_metrics (ready, unacked, total) and queue_consumer_count.
// identity_info names the node and cluster that answered, which every
// scrape checks against the management API's identity.
var promFamilies = []string{"queue_coarse_metrics", "queue_consumer_count", "identity_info"}

// promDepthFamilies leave the consumer counts out: at 50,000 queues
// queue_coarse_metrics alone takes the broker 0.8 s where the three take
// 2.7 s, so a fresh start with a depth order scrapes these first and the
// consumer counts in the background (IndexSource).
var promDepthFamilies = []string{"queue_coarse_metrics", "identity_info"}

// The samples of those families that feed the index, and which field each sets.
const (
	fieldReady = iota
	fieldUnacked
	fieldMessages
	fieldConsumers
	fieldIdentity
)

var promMetrics = map[string]int{
	"rabbitmq_detailed_queue_messages_ready":   fieldReady,
	"rabbitmq_detailed_queue_messages_unacked": fieldUnacked,
	"rabbitmq_detailed_queue_messages":         fieldMessages,
	"rabbitmq_detailed_queue_consumers":        fieldConsumers,
	"rabbitmq_identity_info":                   fieldIdentity,
}

// promIdentity is what a Prometheus endpoint says about itself.
type promIdentity struct{ Node, Cluster string }

// ScrapeQueueIndex reads every queue's depth and consumer count from the
// Prometheus plugin's detailed endpoint (0.8 s for 50,000 queues, where the
// management API's own depth sort takes 10 s). vhost "" means all. The
// endpoint must prove it belongs to the management API's cluster.
func (c *Client) ScrapeQueueIndex(ctx context.Context, vhost string) ([]IndexEntry, error) {
	idx, _, err := c.scrapeQueueIndex(ctx, vhost, nil, true)
	return idx, err
}

// PrometheusEndpoint is the Prometheus URL mqtop scrapes: the configured
// one, or the answering node's listener on the management host. derived
// says which.
func (c *Client) PrometheusEndpoint(ctx context.Context) (endpoint string, derived bool, id Identity, err error) {
	if c.promURL == "" && !c.promDerive {
		return "", false, Identity{}, fmt.Errorf("prometheus source disabled")
	}
	id, err = c.Identity(ctx, identityMaxAge)
	if err != nil {
		return "", false, id, err
	}
	if c.promURL != "" {
		return c.promURL, false, id, nil
	}
	endpoint, err = ListenerURL(c.Endpoint(), id, KindPrometheus)
	return endpoint, true, id, err
}

// identityMaxAge: the header's overview poll refreshes the identity every
// few seconds; a scrape or a dial reads it again when it is older.
const identityMaxAge = 30 * time.Second

// scrapeQueueIndex is ScrapeQueueIndex reusing the name strings of prev
// (the last index), so a steady queue set allocates no new strings.
// Without consumers the entries' Consumers are 0 and mean nothing.
// In a cluster it scrapes every node (prom_nodes.go); an index missing a
// node's queues is an error here, with the queues the others have.
func (c *Client) scrapeQueueIndex(ctx context.Context, vhost string, prev []IndexEntry, consumers bool) ([]IndexEntry, Identity, error) {
	r, err := c.scrapeIndex(ctx, vhost, prev, consumers)
	if err == nil && len(r.lacking) > 0 {
		err = r.lackingError()
	}
	return r.idx, r.id, err
}

// scrapeEndpoint reads the queue index from one Prometheus endpoint, and
// who it says it is (the caller checks that).
func (c *Client) scrapeEndpoint(ctx context.Context, endpoint, vhost string, prev []IndexEntry, consumers bool) ([]IndexEntry, promIdentity, error) {
	families := promFamilies
	if !consumers {
		families = promDepthFamilies
	}
	v := url.Values{"family": families}
	if vhost != "" {
		v.Set("vhost", vhost)
	}
	ctx, cancel := context.WithTimeout(ctx, 3*c.timeout)
	defer cancel()
	u := endpoint + "/metrics/detailed?" + v.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, promIdentity{}, err
	}
	// The plugin needs no credentials by default; when it is configured to
	// require them they are the management ones.
	req.SetBasicAuth(c.user, c.password)
	req.Header.Set("Accept", "text/plain")
	start := time.Now()
	resp, err := (&http.Client{Transport: c.transport}).Do(req)
	if err != nil {
		c.logFailure(ctx, http.MethodGet, u, 0, err, time.Since(start))
		return nil, promIdentity{}, fmt.Errorf("scrape prometheus: %w", tlshint.Explain(redactErr(err)))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		err := &HTTPError{Status: resp.StatusCode}
		c.logFailure(ctx, http.MethodGet, u, resp.StatusCode, err, time.Since(start))
		return nil, promIdentity{}, fmt.Errorf("scrape prometheus at %s: %w", RedactURL(endpoint), err)
	}
	idx, who, err := parseQueueIndex(resp.Body, prev)
	if err != nil {
		return nil, who, fmt.Errorf("parse prometheus metrics: %w", err)
	}
	return idx, who, nil
}

// parseQueueIndex reads the text exposition format line by line, keeping
// only the four per-queue samples. A general parser (expfmt) builds a
// protobuf message per sample and labels: at 50,000 queues that was
// 200,000 messages and most of mqtop's CPU and heap. Names are taken from
// prev when the queue was already known.
func parseQueueIndex(r io.Reader, prev []IndexEntry) ([]IndexEntry, promIdentity, error) {
	p := indexParser{byKey: make(map[string]int32, len(prev)), vhosts: map[string]string{}}
	if len(prev) > 0 {
		p.known = make(map[string]string, len(prev))
		for _, e := range prev {
			p.known[e.Key()] = e.Name
		}
		p.out = make([]IndexEntry, 0, len(prev))
	}
	br := bufio.NewReaderSize(r, 64<<10)
	for lineNo := 1; ; lineNo++ {
		line, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			// A line longer than the buffer: not one of ours (a queue
			// name is at most 255 bytes), but read it whole to be sure.
			long := append([]byte(nil), line...)
			for err == bufio.ErrBufferFull {
				line, err = br.ReadSlice('\n')
				long = append(long, line...)
			}
			line = long
		}
		if len(line) > 0 {
			if perr := p.line(bytes.TrimRight(line, "\r\n")); perr != nil {
				return nil, p.who, fmt.Errorf("line %d: %w", lineNo, perr)
			}
		}
		if err == io.EOF {
			return p.out, p.who, nil
		}
		if err != nil {
			return nil, p.who, err
		}
	}
}

type indexParser struct {
	out    []IndexEntry
	byKey  map[string]int32  // vhost "\x00" name -> position in out
	known  map[string]string // the same key -> name string of the previous index
	vhosts map[string]string // interned vhost names
	key    []byte            // scratch: the key of the current line
	vh, q  []byte            // scratch: unescaped label values
	who    promIdentity
}

func (p *indexParser) line(l []byte) error {
	l = bytes.TrimLeft(l, " \t")
	if len(l) == 0 || l[0] == '#' {
		return nil
	}
	// The metric name first: a line of a metric the index does not read is
	// skipped whatever follows it.
	end := 0
	for end < len(l) && isNameByte(l[end]) {
		end++
	}
	field, ok := promMetrics[string(l[:end])] // no allocation for a map lookup
	if !ok {
		return nil
	}
	// The text format allows blanks between the name and its labels, and
	// around each label's '='.
	rest := bytes.TrimLeft(l[end:], " \t")
	if len(rest) == 0 {
		return fmt.Errorf("no value in %q", clip(l))
	}
	p.vh, p.q = p.vh[:0], p.q[:0]
	haveQ := false
	if rest[0] == '{' {
		rest = rest[1:]
		for {
			rest = bytes.TrimLeft(rest, " \t,")
			if len(rest) == 0 {
				return fmt.Errorf("unterminated labels")
			}
			if rest[0] == '}' {
				rest = rest[1:]
				break
			}
			n := 0
			for n < len(rest) && isNameByte(rest[n]) {
				n++
			}
			name := rest[:n]
			rest = bytes.TrimLeft(rest[n:], " \t")
			if n == 0 || len(rest) == 0 || rest[0] != '=' {
				return fmt.Errorf("bad label in %q", clip(l))
			}
			rest = bytes.TrimLeft(rest[1:], " \t")
			if len(rest) == 0 || rest[0] != '"' {
				return fmt.Errorf("bad label in %q", clip(l))
			}
			rest = rest[1:]
			var val []byte
			var err error
			switch string(name) {
			case "vhost":
				val, rest, err = unquote(p.vh, rest)
				p.vh = val
			case "queue":
				val, rest, err = unquote(p.q, rest)
				p.q, haveQ = val, true
			case "rabbitmq_node", "rabbitmq_cluster":
				if field == fieldIdentity {
					val, rest, err = unquote(nil, rest)
					if string(name) == "rabbitmq_node" {
						p.who.Node = string(val)
					} else {
						p.who.Cluster = string(val)
					}
					break
				}
				_, rest, err = unquote(nil, rest)
			default:
				_, rest, err = unquote(nil, rest)
			}
			if err != nil {
				return fmt.Errorf("%w in %q", err, clip(l))
			}
		}
	}
	if field == fieldIdentity || !haveQ || len(p.q) == 0 {
		return nil
	}
	val := bytes.TrimLeft(rest, " \t")
	if sp := bytes.IndexAny(val, " \t"); sp >= 0 {
		val = val[:sp] // a timestamp follows
	}
	n, err := parseSample(val)
	if err != nil {
		return fmt.Errorf("bad value %q", clip(val))
	}
	p.key = append(append(append(p.key[:0], p.vh...), 0), p.q...)
	i, ok := p.byKey[string(p.key)]
	if !ok {
		vh, ok := p.vhosts[string(p.vh)]
		if !ok {
			vh = string(p.vh)
			p.vhosts[vh] = vh
		}
		name, ok := p.known[string(p.key)]
		if !ok {
			name = string(p.q)
		}
		i = int32(len(p.out))
		p.out = append(p.out, IndexEntry{VHost: vh, Name: name})
		p.byKey[vh+"\x00"+name] = i
	}
	e := &p.out[i]
	switch field {
	case fieldReady:
		e.Ready = n
	case fieldUnacked:
		e.Unacked = n
	case fieldMessages:
		e.Messages = n
	case fieldConsumers:
		e.Consumers = n
	}
	return nil
}

// isNameByte reports a byte of a metric or label name ([A-Za-z0-9_:]).
func isNameByte(c byte) bool {
	return c == '_' || c == ':' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// unquote reads a label value after its opening quote into dst, undoing
// the format's escapes (\\, \", \n), and returns what follows the closing quote.
func unquote(dst, s []byte) ([]byte, []byte, error) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			return dst, s[i+1:], nil
		case '\\':
			if i+1 >= len(s) {
				return dst, nil, fmt.Errorf("unterminated escape")
			}
			i++
			switch s[i] {
			case 'n':
				dst = append(dst, '\n')
			default:
				dst = append(dst, s[i])
			}
		default:
			dst = append(dst, c)
		}
	}
	return dst, nil, fmt.Errorf("unterminated label value")
}

// parseSample reads a sample value as a count: plain digits directly, any
// other float syntax through strconv (NaN and infinities count as 0).
func parseSample(b []byte) (int64, error) {
	if len(b) == 0 {
		return 0, fmt.Errorf("empty")
	}
	var n int64
	digits := true
	for _, c := range b {
		if c < '0' || c > '9' || n > (1<<62)/10 {
			digits = false
			break
		}
		n = n*10 + int64(c-'0')
	}
	if digits {
		return n, nil
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return 0, err
	}
	if f != f || f > 1<<62 || f < -(1<<62) {
		return 0, nil
	}
	return int64(f), nil
}

func clip(b []byte) string {
	if len(b) > 80 {
		return string(b[:77]) + "…"
	}
	return string(b)
}

package tui

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mqtop/mqtop/mgmt"
	"github.com/mqtop/mqtop/views"
)

// A channel's consumers: the filter "channel:<name>" is the exact channel
// name (regex characters in it are literal), served from the whole list
// and windowed here; other filters still go to mgmt as a regex.
func TestConsumersOfAChannelAreFilteredByExactChannel(t *testing.T) {
	chA, chB := "10.0.0.5:5555 -> 10.0.0.1:5672 (1)", "10.0.0.5:5555 -> 10.0.0.1:5672 (10)"
	var consumers []string
	for i, c := range []struct{ queue, tag, ch string }{
		{"orders", "a1", chA}, {"orders", "b1", chB}, {"payments", "a2", chA}, {"zeta", "a3", chA}, {"audit", "b2", chB},
	} {
		consumers = append(consumers, fmt.Sprintf(`{"consumer_tag":%q,"queue":{"name":%q,"vhost":"/"},`+
			`"channel_details":{"name":%q,"number":%d,"connection_name":"10.0.0.5:5555 -> 10.0.0.1:5672"},`+
			`"ack_required":true,"prefetch_count":%d,"active":true}`, c.tag, c.queue, c.ch, 1+i%2*9, i))
	}
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.URL.EscapedPath())
		if !strings.HasPrefix(r.URL.Path, "/api/consumers") {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, "["+strings.Join(consumers, ",")+"]")
	}))
	defer srv.Close()
	c, err := mgmt.New(mgmt.Options{URLs: []string{srv.URL}, User: "guest", Password: "guest"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	d := Deps{Backend: c}
	ctx := context.Background()

	p, err := consumersPage(ctx, d, views.ListQuery{VHost: "/", Filter: views.ConsumersOfChannel(chA), Sort: "queue", Offset: 1, Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	var tags []string
	for _, r := range p.Rows {
		tags = append(tags, r.Tag)
	}
	if strings.Join(tags, ",") != "a2,a3" || p.Offset != 1 || p.Matched != 3 || p.Total != 5 || len(p.Raw) != 2 ||
		!strings.Contains(string(p.Raw[0]), `"a2"`) {
		t.Fatalf("channel window = %v offset %d matched %d total %d raw %d", tags, p.Offset, p.Matched, p.Total, len(p.Raw))
	}
	if paths[len(paths)-1] != "/api/consumers/%2F" {
		t.Errorf("asked %s, want the vhost's consumers", paths[len(paths)-1])
	}

	p, err = consumersPage(ctx, d, views.ListQuery{Filter: views.ConsumersOfChannel(chB), Sort: "queue", Limit: 10})
	if err != nil || len(p.Rows) != 2 || p.Rows[0].Tag != "b2" || p.Rows[1].Tag != "b1" || p.Matched != 2 {
		t.Fatalf("channel (10), which (1)'s name does not match as a prefix: %+v, %v", p.Rows, err)
	}
	p, err = consumersPage(ctx, d, views.ListQuery{Filter: views.ConsumersOfChannel("nope"), Limit: 10})
	if err != nil || len(p.Rows) != 0 || p.Matched != 0 || p.Total != 5 {
		t.Fatalf("unknown channel: %+v, %v", p, err)
	}
	p, err = consumersPage(ctx, d, views.ListQuery{Filter: "^orders$", Limit: 10})
	if err != nil || len(p.Rows) != 2 || p.Matched != 2 {
		t.Fatalf("regex filter on the queue: %+v, %v", p.Rows, err)
	}
	if _, err := consumersPage(ctx, Deps{Backend: fakeBackend{}}, views.ListQuery{}); err != errNoBackend {
		t.Fatalf("a backend that cannot list: %v", err)
	}
}

package mgmt_test

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mqtop/mqtop/internal/testenv"
	"github.com/mqtop/mqtop/mgmt"
	amqp "github.com/rabbitmq/amqp091-go"
)

func consumerTags(p mgmt.ListPage[mgmt.ConsumerRow]) []string {
	var out []string
	for _, c := range p.Items {
		out = append(out, c.Tag)
	}
	return out
}

func TestConsumersList(t *testing.T) {
	env := testenv.Broker(t)
	vh := testenv.VHost(t)
	for _, q := range []string{"alpha", "beta", "gamma"} {
		testenv.DeclareQueue(t, env, vh, q, nil)
	}
	testenv.DeclareQueue(t, env, vh, "sac", amqp.Table{"x-single-active-consumer": true})
	// Tags, prefetch counts and queues in three different orders.
	startConsumer(t, env, vh, "alpha", "z-1", 5, false, false)
	startConsumer(t, env, vh, "alpha", "m-2", 20, true, false)
	startConsumer(t, env, vh, "beta", "a-3", 1, false, false)
	startConsumer(t, env, vh, "gamma", "k-4", 3, false, true)
	startConsumer(t, env, vh, "sac", "c-5", 2, false, false) // the single active consumer
	startConsumer(t, env, vh, "sac", "w-6", 4, false, false) // waits
	c, ctx := client(t, env), context.Background()
	get := func(q mgmt.ListQuery) mgmt.ListPage[mgmt.ConsumerRow] {
		t.Helper()
		q.VHost = vh
		p, err := c.Consumers(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	// Consumers reach the management database with the next statistics
	// emission.
	testenv.WaitFor(t, 30*time.Second, func() (bool, string) {
		p := get(mgmt.ListQuery{})
		for _, r := range p.Items {
			// A consumer can be listed before its channel's details are
			// (they come with the channel's own statistics emission).
			if r.ChannelName == "" {
				return false, fmt.Sprintf("consumer %s without channel details yet", r.Tag)
			}
		}
		return p.Total == 6, fmt.Sprintf("consumers %q", consumerTags(p))
	})
	p := get(mgmt.ListQuery{})
	byQueue := []string{"m-2", "z-1", "a-3", "k-4", "c-5", "w-6"}
	if got := consumerTags(p); !slices.Equal(got, byQueue) || p.Paged || p.Matched != 6 || len(p.Raw) != 6 {
		t.Fatalf("by queue: %q matched %d", got, p.Matched)
	}
	rows := map[string]mgmt.ConsumerRow{}
	for _, r := range p.Items {
		rows[r.Tag] = r
	}
	if z := rows["z-1"]; z.Queue != "alpha" || z.VHost != vh || !z.AckRequired || z.Prefetch != mgmt.C(5) || !z.Active || !z.ActiveKnown ||
		z.ActivityStatus != "up" || z.Exclusive || z.ChannelNumber != mgmt.C(1) || z.ConnectionName == "" ||
		!strings.HasPrefix(z.ChannelName, z.ConnectionName) || z.PeerHost == "" || z.User != env.User {
		t.Errorf("z-1: %+v", z)
	}
	if m := rows["m-2"]; m.AckRequired || m.Prefetch != mgmt.C(20) {
		t.Errorf("m-2 (auto-ack): %+v", m)
	}
	if k := rows["k-4"]; !k.Exclusive {
		t.Errorf("k-4 (exclusive): %+v", k)
	}
	if s := rows["c-5"]; !s.Active || s.ActivityStatus != "single_active" {
		t.Errorf("c-5 (single active): %+v", s)
	}
	if w := rows["w-6"]; w.Active || !w.ActiveKnown || w.ActivityStatus != "waiting" {
		t.Errorf("w-6 (waiting): %+v", w)
	}
	rev := slices.Clone(byQueue)
	slices.Reverse(rev)
	sorts := []struct {
		key  string
		desc bool
		want []string
	}{
		{"queue", false, byQueue},
		{"queue", true, rev},
		{"tag", false, []string{"a-3", "c-5", "k-4", "m-2", "w-6", "z-1"}},
		{"tag", true, []string{"z-1", "w-6", "m-2", "k-4", "c-5", "a-3"}},
		{"prefetch", false, []string{"a-3", "c-5", "k-4", "w-6", "z-1", "m-2"}},
		{"prefetch", true, []string{"m-2", "z-1", "w-6", "k-4", "c-5", "a-3"}},
		{"active", false, []string{"w-6", "m-2", "z-1", "a-3", "k-4", "c-5"}},
		{"active", true, []string{"c-5", "k-4", "a-3", "z-1", "m-2", "w-6"}},
	}
	for _, s := range sorts {
		if got := consumerTags(get(mgmt.ListQuery{Sort: mgmt.ConsumerSort[s.key], Desc: s.desc})); !slices.Equal(got, s.want) {
			t.Errorf("by %s (desc %v): %q, want %q", s.key, s.desc, got, s.want)
		}
	}
	// By channel: one connection each, so by its name, both ways.
	for _, desc := range []bool{false, true} {
		p := get(mgmt.ListQuery{Sort: mgmt.ConsumerSort["channel"], Desc: desc})
		names := make([]string, len(p.Items))
		for i, r := range p.Items {
			names[i] = r.ChannelName
		}
		want := slices.Clone(names)
		slices.Sort(want)
		if desc {
			slices.Reverse(want)
		}
		if !slices.Equal(names, want) {
			t.Errorf("by channel (desc %v): %q", desc, names)
		}
	}
	// The filter matches the queue name or the tag; windows of it.
	for f, want := range map[string][]string{"^sac$": {"c-5", "w-6"}, "^z-": {"z-1"}, "a": {"m-2", "z-1", "a-3", "k-4", "c-5", "w-6"}, "^(beta|k-4)$": {"a-3", "k-4"}} {
		if got := consumerTags(get(mgmt.ListQuery{Filter: f})); !slices.Equal(got, want) {
			t.Errorf("filter %q: %q, want %q", f, got, want)
		}
	}
	if p = get(mgmt.ListQuery{Offset: 2, Limit: 2}); !slices.Equal(consumerTags(p), []string{"a-3", "k-4"}) || p.Offset != 2 || p.Matched != 6 || p.Total != 6 {
		t.Fatalf("window 2+2: %q offset %d matched %d total %d", consumerTags(p), p.Offset, p.Matched, p.Total)
	}
	if p = get(mgmt.ListQuery{Filter: "^alpha$", Offset: 1, Limit: 5}); !slices.Equal(consumerTags(p), []string{"z-1"}) || p.Matched != 2 {
		t.Fatalf("window 1+5 of alpha: %q matched %d", consumerTags(p), p.Matched)
	}
}

func TestConsumersVHostScope(t *testing.T) {
	env := testenv.Broker(t)
	vh, other := testenv.VHost(t), testenv.VHost(t)
	mine := "scope-" + vh
	testenv.DeclareQueue(t, env, vh, mine, nil)
	startConsumer(t, env, vh, mine, "scoped", 1, false, false)
	c, ctx := client(t, env), context.Background()
	testenv.WaitFor(t, 30*time.Second, func() (bool, string) {
		p, err := c.Consumers(ctx, mgmt.ListQuery{Filter: "^" + regexp.QuoteMeta(mine) + "$"})
		if err != nil {
			return false, err.Error()
		}
		return len(p.Items) == 1 && p.Items[0].VHost == vh && p.Items[0].Tag == "scoped", fmt.Sprintf("whole broker: %+v", p.Items)
	})
	if p, err := c.Consumers(ctx, mgmt.ListQuery{VHost: other}); err != nil || p.Total != 0 {
		t.Fatalf("other vhost: %+v, %v", p, err)
	}
	_, err := c.Consumers(ctx, mgmt.ListQuery{VHost: "no-such-" + vh})
	if mgmt.StatusOf(err) != 404 || !strings.Contains(err.Error(), `list consumers of vhost "no-such-`) {
		t.Fatalf("missing vhost: %v", err)
	}
}

package mgmt_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mqtop/mqtop/internal/testenv"
	"github.com/mqtop/mqtop/mgmt"
)

func clChanNames(p mgmt.ListPage[mgmt.Channel]) string {
	var out []string
	for _, ch := range p.Items {
		out = append(out, fmt.Sprintf("%s[pf=%s un=%s cons=%s]", ch.Name, fmtC(ch.Prefetch), fmtC(ch.Unacked), fmtC(ch.Consumers)))
	}
	return strings.Join(out, " ")
}

func clPrefetches(p mgmt.ListPage[mgmt.Channel]) []int64 {
	var out []int64
	for _, ch := range p.Items {
		out = append(out, ch.Prefetch.Or(-1))
	}
	return out
}

// Three channels on two connections: prefetch 3 holding 2 unacked messages
// of one consumer, prefetch 7 with two consumers, and a confirm-mode
// publisher with neither.
func TestChannelsPagingSortAndConsumers(t *testing.T) {
	env := testenv.Broker(t)
	vh := testenv.VHost(t)
	c := client(t, env)
	testenv.DeclareQueue(t, env, vh, "qa", nil)
	testenv.DeclareQueue(t, env, vh, "qb", nil)
	testenv.Publish(t, env, vh, "", "qa", []byte("1"), []byte("2"))
	connA, connB := testenv.Dial(t, env, vh), testenv.Dial(t, env, vh)
	chs := clOpenChannels(t, connA, 2)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(chs[0].Qos(3, 0, false))
	_, err := chs[0].Consume("qa", "c-a", false, false, false, false, nil)
	must(err)
	must(chs[1].Qos(7, 0, false))
	for _, tag := range []string{"c-b-1", "c-b-2"} {
		_, err := chs[1].Consume("qb", tag, false, false, false, false, nil)
		must(err)
	}
	must(clOpenChannels(t, connB, 1)[0].Confirm(false))
	filter := clPortsFilter(connA, connB)

	var busy, pub mgmt.Channel
	for _, scope := range []string{"", vh} {
		wait := func(q mgmt.ListQuery, check func(mgmt.ListPage[mgmt.Channel]) string) mgmt.ListPage[mgmt.Channel] {
			t.Helper()
			q.VHost, q.Filter = scope, filter
			var last mgmt.ListPage[mgmt.Channel]
			testenv.WaitFor(t, 30*time.Second, func() (bool, string) {
				p, err := c.Channels(context.Background(), q)
				if err != nil {
					return false, err.Error()
				}
				last = p
				why := check(p)
				return why == "", fmt.Sprintf("scope %q: %s", scope, why)
			})
			return last
		}
		p := wait(mgmt.ListQuery{Sort: "prefetch", Desc: true}, func(p mgmt.ListPage[mgmt.Channel]) string {
			if p.Matched != 3 || !slices.Equal(clPrefetches(p), []int64{7, 3, 0}) || p.Items[1].Unacked != mgmt.C(2) ||
				p.Items[0].Consumers != mgmt.C(2) {
				return "by prefetch: " + clChanNames(p)
			}
			return ""
		})
		if p.Paged != (scope == "") || (scope == vh && p.Total != 3) || len(p.Raw) != 3 {
			t.Fatalf("scope %q: paged %v total %d", scope, p.Paged, p.Total)
		}
		busy, pub = p.Items[0], p.Items[2]
		if !pub.Confirm || busy.Confirm || busy.User != env.User || busy.VHost != vh || busy.State == "" ||
			!strings.HasPrefix(busy.Name, busy.ConnectionName+" (") {
			t.Fatalf("rows wrong: %+v / %+v", busy, pub)
		}
		wait(mgmt.ListQuery{Sort: mgmt.ChannelSort["prefetch"], Offset: 1, Limit: 1}, func(p mgmt.ListPage[mgmt.Channel]) string {
			if p.Offset != 1 || !slices.Equal(clPrefetches(p), []int64{3}) {
				return "second by prefetch: " + clChanNames(p)
			}
			return ""
		})
		wait(mgmt.ListQuery{Sort: "unacked", Desc: true, Limit: 1}, func(p mgmt.ListPage[mgmt.Channel]) string {
			if len(p.Items) != 1 || p.Items[0].Unacked != mgmt.C(2) {
				return "by unacked: " + clChanNames(p)
			}
			return ""
		})
		wait(mgmt.ListQuery{Sort: "consumers", Limit: 3}, func(p mgmt.ListPage[mgmt.Channel]) string {
			if !slices.Equal(clPrefetches(p), []int64{0, 3, 7}) {
				return "by consumers: " + clChanNames(p)
			}
			return ""
		})
		for _, desc := range []bool{false, true} {
			p := wait(mgmt.ListQuery{Sort: "connection", Desc: desc}, func(p mgmt.ListPage[mgmt.Channel]) string {
				if len(p.Items) != 3 {
					return "by connection: " + clChanNames(p)
				}
				return ""
			})
			first, last := p.Items[0].ConnectionName, p.Items[2].ConnectionName
			if (first < last) == desc || first == last {
				t.Fatalf("scope %q by connection desc=%v: %s", scope, desc, clChanNames(p))
			}
		}
	}
	cons, err := c.ChannelConsumers(context.Background(), busy.Name)
	if err != nil || len(cons) != 2 {
		t.Fatalf("consumers %+v, %v", cons, err)
	}
	slices.SortFunc(cons, func(a, b mgmt.ChannelConsumer) int { return strings.Compare(a.Tag, b.Tag) })
	for i, cc := range cons {
		if cc.Tag != fmt.Sprintf("c-b-%d", i+1) || cc.Queue != "qb" || cc.QueueVHost != vh || !cc.AckRequired || !cc.Active || cc.Prefetch != mgmt.C(7) {
			t.Fatalf("consumer %d: %+v", i, cc)
		}
	}
	// The detail page's read: the channel and its consumers in one request.
	dch, dcons, err := c.ChannelDetail(context.Background(), busy.Name)
	if err != nil || dch.Name != busy.Name || dch.Prefetch != mgmt.C(7) || dch.Consumers != mgmt.C(2) || dch.ConnectionName != busy.ConnectionName ||
		len(dcons) != 2 || dcons[0].Queue != "qb" {
		t.Fatalf("channel detail %+v %+v, %v", dch, dcons, err)
	}
	if _, _, err := c.ChannelDetail(context.Background(), "no such channel"); mgmt.StatusOf(err) != 404 {
		t.Fatalf("detail of a missing channel: %v", err)
	}
	if cons, err := c.ChannelConsumers(context.Background(), pub.Name); err != nil || len(cons) != 0 {
		t.Fatalf("publisher's consumers %+v, %v", cons, err)
	}
	_, err = c.ChannelConsumers(context.Background(), "no such channel")
	if mgmt.StatusOf(err) != 404 || !strings.Contains(err.Error(), "list consumers of channel") {
		t.Fatalf("missing channel: %v", err)
	}
}

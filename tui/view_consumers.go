package tui

import (
	"context"
	"math"

	"github.com/mqtop/mqtop/keys"
	"github.com/mqtop/mqtop/mgmt"
	"github.com/mqtop/mqtop/views"
)

func init() {
	register(viewDef{name: "consumers", aliases: []string{"cons", "consumer"}, open: func(m *Model) Screen {
		return &listScreen[mgmt.ConsumerRow]{listView: views.NewConsumers(&m.keys), title: "consumers",
			hints: func(k *keys.Map) []views.Hint {
				return listHints(k, []hintAction{{"channel", &k.Detail}, {"connection", &k.ShowConnection}},
					[]hintAction{{"json", &k.RawJSON}, {"refresh", &k.Refresh}})
			},
			fetchPage: consumersPage}
	}})
}

// consumersPage is the consumers view's fetch. mgmt.Consumers filters by a
// regex on the queue name or the consumer tag; a channel's consumers (enter
// on a channel) come with the filter views.ConsumersOfChannel makes,
// "channel:<exact channel name>", which is not sent as a regex: the list
// is read unfiltered and whole (/api/consumers does not page, so that is
// the same one request) and kept to the rows whose ChannelName is that
// name exactly, then cut to the window here.
func consumersPage(ctx context.Context, d Deps, q views.ListQuery) (views.Page[mgmt.ConsumerRow], error) {
	c, ok := d.Backend.(*mgmt.Client)
	if !ok {
		return views.Page[mgmt.ConsumerRow]{}, errNoBackend
	}
	channel, ok := views.ConsumersChannel(q.Filter)
	if !ok {
		return fromMgmt(c.Consumers(ctx, mgmtQuery(q)))
	}
	all := mgmtQuery(q)
	all.Filter, all.Offset, all.Limit = "", 0, math.MaxInt32
	p, err := c.Consumers(ctx, all)
	if err != nil {
		return views.Page[mgmt.ConsumerRow]{}, err
	}
	return consumersOfChannel(p, channel, q.Offset, q.Limit), nil
}

// consumersOfChannel keeps a whole, sorted list's rows on one channel and
// cuts the window [offset, offset+limit) of them.
func consumersOfChannel(p mgmt.ListPage[mgmt.ConsumerRow], channel string, offset, limit int) views.Page[mgmt.ConsumerRow] {
	kept := mgmt.ListPage[mgmt.ConsumerRow]{Total: p.Total}
	for i, r := range p.Items {
		if r.ChannelName != channel {
			continue
		}
		kept.Items = append(kept.Items, r)
		if i < len(p.Raw) {
			kept.Raw = append(kept.Raw, p.Raw[i])
		}
	}
	n := len(kept.Items)
	if limit <= 0 {
		limit = 50
	}
	lo := min(max(offset, 0), n)
	hi := min(lo+limit, n)
	out := mgmt.ListPage[mgmt.ConsumerRow]{Items: kept.Items[lo:hi], Offset: lo, Matched: n, Total: p.Total}
	if len(kept.Raw) == n {
		out.Raw = kept.Raw[lo:hi]
	}
	page, _ := fromMgmt(out, nil)
	return page
}

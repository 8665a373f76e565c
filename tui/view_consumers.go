package tui

import (
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
// regex on queue name or tag only; a channel's consumers are asked for with
// the filter "channel:<exact channel name>" (views.ConsumersOfChannel),
// kept here by exact channel name.
var consumersPage = exactFilter((*mgmt.Client).Consumers, views.ConsumersChannel,
	func(r mgmt.ConsumerRow, channel string) bool { return r.ChannelName == channel })

package tui

import (
	"github.com/mqtop/mqtop/keys"
	"github.com/mqtop/mqtop/mgmt"
	"github.com/mqtop/mqtop/views"
)

func init() {
	register(viewDef{name: "channels", aliases: []string{"ch", "channel"}, open: func(m *Model) Screen {
		return &listScreen[mgmt.Channel]{listView: views.NewChannels(&m.keys), title: "channels",
			hints: func(k *keys.Map) []views.Hint {
				return listHints(k, []hintAction{{"detail", &k.Detail}, {"consumers", &k.ShowConsumers}, {"connection", &k.ShowConnection}},
					[]hintAction{{"json", &k.RawJSON}, {"refresh", &k.Refresh}})
			},
			fetchPage: clientList((*mgmt.Client).Channels)}
	}, detail: channelDetail})
}

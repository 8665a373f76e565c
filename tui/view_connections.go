package tui

import (
	"github.com/mqtop/mqtop/keys"
	"github.com/mqtop/mqtop/mgmt"
	"github.com/mqtop/mqtop/views"
)

func init() {
	register(viewDef{name: "connections", aliases: []string{"conn", "connection"}, open: func(m *Model) Screen {
		v := views.NewConnections(&m.keys)
		v.UseNodeNames(m.nodeNames)
		return &listScreen[mgmt.Connection]{listView: v, title: "connections",
			hints: func(k *keys.Map) []views.Hint {
				return listHints(k, []hintAction{{"detail", &k.Detail}, {"channels", &k.ShowChannels}, {"close", &k.CloseConnection}},
					[]hintAction{{"json", &k.RawJSON}, {"refresh", &k.Refresh}})
			},
			fetchPage: clientList((*mgmt.Client).Connections)}
	}, detail: connectionDetail})
}

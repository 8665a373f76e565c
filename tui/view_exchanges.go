package tui

import (
	"github.com/mqtop/mqtop/keys"
	"github.com/mqtop/mqtop/mgmt"
	"github.com/mqtop/mqtop/views"
)

func init() {
	register(viewDef{name: "exchanges", aliases: []string{"x", "exchange"}, open: func(m *Model) Screen {
		return &listScreen[mgmt.Exchange]{listView: views.NewExchanges(&m.keys), title: "exchanges",
			fetchPage: clientList((*mgmt.Client).Exchanges),
			hints: func(k *keys.Map) []views.Hint {
				return listHints(k, []hintAction{{"bindings", &k.Detail}, {"route", &k.RoutePreview}, {"declare", &k.New}},
					[]hintAction{{"publish", &k.Publish}, {"bind", &k.Bind}, {"delete", &k.Delete}, {"json", &k.RawJSON}, {"refresh", &k.Refresh}})
			}}
	}})
}

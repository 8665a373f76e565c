package tui

import (
	"github.com/mqtop/mqtop/keys"
	"github.com/mqtop/mqtop/mgmt"
	"github.com/mqtop/mqtop/views"
)

func init() {
	register(viewDef{name: "bindings", aliases: []string{"b", "binding"}, open: func(m *Model) Screen {
		return &listScreen[mgmt.Binding]{listView: views.NewBindings(&m.keys), title: "bindings",
			fetchPage: exactFilter((*mgmt.Client).Bindings, views.BindingsExchange, views.FromOrTo),
			hints: func(k *keys.Map) []views.Hint {
				return listHints(k, []hintAction{{"destination", &k.Detail}, {"source", &k.ShowSource}, {"rebind", &k.Rebind}},
					[]hintAction{{"unbind", &k.Delete}, {"json", &k.RawJSON}})
			}}
	}})
}

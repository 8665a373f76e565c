package tui

import (
	"github.com/mqtop/mqtop/keys"
	"github.com/mqtop/mqtop/mgmt"
	"github.com/mqtop/mqtop/views"
)

func init() {
	register(viewDef{name: "users", aliases: []string{"u", "user"}, open: func(m *Model) Screen {
		return &listScreen[mgmt.User]{listView: views.NewUsers(&m.keys), title: "users",
			hints: func(k *keys.Map) []views.Hint {
				return listHints(k, []hintAction{{"detail", &k.Detail}, {"add", &k.New}, {"edit", &k.Rebind}, {"permissions", &k.Permissions}},
					[]hintAction{{"delete", &k.Delete}, {"json", &k.RawJSON}, {"refresh", &k.Refresh}})
			},
			fetchPage: clientList((*mgmt.Client).Users)}
	}, detail: userDetail})
}

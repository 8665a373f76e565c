package tui

import (
	"github.com/mqtop/mqtop/keys"
	"github.com/mqtop/mqtop/mgmt"
	"github.com/mqtop/mqtop/views"
)

// The vhost list is "vhosts" and "vh": the word "vhost" is the :vhost NAME
// scope command (cmdline.go), which the command line reads first.
func init() {
	register(viewDef{name: "vhosts", aliases: []string{"vh"}, open: func(m *Model) Screen {
		return &listScreen[mgmt.VHost]{listView: views.NewVHosts(&m.keys), title: "vhosts",
			hints: func(k *keys.Map) []views.Hint {
				return listHints(k, []hintAction{{"detail", &k.Detail}, {"queues", &k.ShowQueues}, {"add", &k.New}, {"limits", &k.Rebind}},
					[]hintAction{{"delete", &k.Delete}, {"json", &k.RawJSON}, {"refresh", &k.Refresh}})
			},
			fetchPage: clientList((*mgmt.Client).ListVHosts)}
	}, detail: vhostDetail})
}

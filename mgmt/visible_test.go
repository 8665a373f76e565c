package mgmt_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/mqtop/mqtop/internal/testenv"
	"github.com/mqtop/mqtop/mgmt"
)

// The Prometheus plugin reports every queue whoever asks; the index shows
// a user only the queues of the vhosts the management API lets it list.
func TestIndexShowsOnlyTheVHostsTheUserMaySee(t *testing.T) {
	env := testenv.Broker(t)
	mine, other := testenv.VHost(t), testenv.VHost(t)
	testenv.DeclareQueue(t, env, mine, "vis-mine", nil)
	testenv.DeclareQueue(t, env, other, "vis-other", nil)
	const user, pw = "vis-monitor", "vis-pw-1"
	testenv.MustAPI(t, env, http.MethodPut, "users/"+user, map[string]string{"password": pw, "tags": "monitoring"})
	t.Cleanup(func() { testenv.API(t, env, http.MethodDelete, "users/"+user, nil) })
	testenv.MustAPI(t, env, http.MethodPut, "permissions/"+url.PathEscape(mine)+"/"+user,
		map[string]string{"configure": "", "write": "", "read": ".*"})

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	names := func(c *mgmt.Client) map[string]bool {
		src := &mgmt.IndexSource{C: c, MinInterval: time.Millisecond}
		p, err := src.QueuePage(ctx, mgmt.QueueQuery{Limit: 500, Sort: mgmt.SortName})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		for _, q := range p.Queues {
			got[q.VHost+"/"+q.Name] = true
		}
		return got
	}
	mon := client(t, env, func(o *mgmt.Options) { o.User, o.Password = user, pw })
	got := names(mon)
	if !got[mine+"/vis-mine"] || got[other+"/vis-other"] {
		t.Fatalf("monitoring user with permissions on %s only: index holds %v", mine, got)
	}
	all, set, err := mon.VisibleVHosts(ctx)
	if err != nil || all || !set[mine] || set[other] {
		t.Fatalf("VisibleVHosts = %v %v %v", all, set, err)
	}
	// An administrator's index has both.
	if got := names(client(t, env)); !got[mine+"/vis-mine"] || !got[other+"/vis-other"] {
		t.Fatalf("administrator's index: %v", got)
	}
}

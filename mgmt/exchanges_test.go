package mgmt_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/mqtop/mqtop/internal/testenv"
)

func TestExchangeNames(t *testing.T) {
	env := testenv.Broker(t)
	vh := testenv.VHost(t)
	testenv.MustAPI(t, env, http.MethodPut, "exchanges/"+url.PathEscape(vh)+"/orders.x", map[string]any{"type": "topic"})
	got, err := client(t, env).ExchangeNames(context.Background(), vh)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"", "amq.direct", "amq.topic", "orders.x"} {
		if !slices.Contains(got, want) {
			t.Errorf("exchanges of %s = %q, missing %q", vh, got, want)
		}
	}
	if _, err := client(t, env).ExchangeNames(context.Background(), "no-such-vhost-"+vh); err == nil {
		t.Error("exchanges of a missing vhost: no error")
	}
}

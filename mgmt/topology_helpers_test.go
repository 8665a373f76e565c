package mgmt_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/mqtop/mqtop/internal/testenv"
)

// startConsumer starts a consumer that stays until the test ends; it returns
// once the consumer is registered (basic.consume-ok).
func startConsumer(t *testing.T, env testenv.Env, vh, queue, tag string, prefetch int, autoAck, exclusive bool) {
	t.Helper()
	ch, err := testenv.Dial(t, env, vh).Channel()
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.Qos(prefetch, 0, false); err != nil {
		t.Fatal(err)
	}
	if _, err := ch.Consume(queue, tag, autoAck, exclusive, false, false, nil); err != nil {
		t.Fatalf("consume %s as %s: %v", queue, tag, err)
	}
}

// putBinding binds queue (or, with "e", the exchange dest) to the exchange.
func putBinding(t *testing.T, env testenv.Env, vh, exchange, destType, dest, key string, args map[string]any) {
	t.Helper()
	if args == nil {
		args = map[string]any{}
	}
	testenv.MustAPI(t, env, http.MethodPost, "bindings/"+url.PathEscape(vh)+"/e/"+url.PathEscape(exchange)+"/"+destType+"/"+url.PathEscape(dest),
		map[string]any{"routing_key": key, "arguments": args})
}

func putExchange(t *testing.T, env testenv.Env, vh, name, typ string, args map[string]any) {
	t.Helper()
	if args == nil {
		args = map[string]any{} // "arguments": null is a 500 (3.10.8)
	}
	testenv.MustAPI(t, env, http.MethodPut, "exchanges/"+url.PathEscape(vh)+"/"+url.PathEscape(name),
		map[string]any{"type": typ, "durable": true, "arguments": args})
}

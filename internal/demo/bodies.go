package demo

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// Bodies are small JSON documents with ids and timestamps so that a
// newcomer peeking at messages (management UI "Get messages", mqtop) sees
// something that looks like real application traffic.

var (
	severities  = []string{"info", "warning", "error"}
	topicKeys   = []string{"kern.info", "auth.critical", "kern.critical", "cron.warning", "auth.info", "kern.warning"}
	services    = []string{"checkout", "auth", "search", "billing", "inventory"}
	currencies  = []string{"EUR", "USD", "GBP"}
	taskKinds   = []string{"resize-image", "send-email", "generate-pdf", "reindex-product"}
	eventKinds  = []string{"page_view", "add_to_cart", "search", "login", "checkout_started"}
	payMethods  = []string{"card", "sepa", "paypal"}
	logMessages = map[string][]string{
		"info":     {"request served", "cache refreshed", "user logged in", "job finished"},
		"warning":  {"slow query", "retrying upstream call", "disk 80% full"},
		"error":    {"upstream timeout", "payment gateway 502", "failed to write audit record"},
		"critical": {"database unreachable", "certificate expired", "out of memory"},
	}
)

func now() string { return time.Now().UTC().Format(time.RFC3339Nano) }

func pick[T any](xs []T) T { return xs[rand.IntN(len(xs))] }

// jsonMsg builds a publishing with the properties real applications tend to
// set, which also makes the message detail views in mqtop worth looking at.
func jsonMsg(typ, id string, v any, persistent bool) amqp.Publishing {
	body, err := json.Marshal(v)
	if err != nil {
		// Only our own plain structs are marshalled; this cannot happen.
		panic(err)
	}
	p := amqp.Publishing{
		ContentType: "application/json",
		MessageId:   id,
		Timestamp:   time.Now(),
		Type:        typ,
		AppId:       "mqtop-demo",
		Body:        body,
	}
	if persistent {
		p.DeliveryMode = amqp.Persistent
	}
	return p
}

func helloMsg(seq uint64) amqp.Publishing {
	id := fmt.Sprintf("hello-%06d", seq)
	return jsonMsg("greeting", id, map[string]any{"id": id, "greeting": "Hello World!", "sent_at": now()}, false)
}

func taskMsg(seq uint64) amqp.Publishing {
	id := fmt.Sprintf("task-%06d", seq)
	return jsonMsg("task", id, map[string]any{
		"task_id": id, "kind": pick(taskKinds), "object": fmt.Sprintf("obj-%05d", rand.IntN(100000)),
		"weight": 1 + rand.IntN(5), "attempt": 1, "created_at": now(),
	}, true)
}

func logMsg(seq uint64, level string) amqp.Publishing {
	id := fmt.Sprintf("log-%06d", seq)
	return jsonMsg("log", id, map[string]any{
		"ts": now(), "level": level, "service": pick(services),
		"host": fmt.Sprintf("web-%02d", rand.IntN(12)+1), "message": pick(logMessages[level]),
	}, false)
}

type orderItem struct {
	SKU       string  `json:"sku"`
	Qty       int     `json:"qty"`
	UnitPrice float64 `json:"unit_price"`
}

type order struct {
	OrderID    string      `json:"order_id"`
	CustomerID string      `json:"customer_id"`
	Currency   string      `json:"currency"`
	Items      []orderItem `json:"items"`
	Total      float64     `json:"total"`
	CreatedAt  string      `json:"created_at"`
}

// orderMsg makes every fifth order invalid: exactly the advertised ~20%
// rejection rate, and deterministic enough that the dead-letter queue gets
// its first message within seconds of starting.
func orderMsg(seq uint64) amqp.Publishing {
	return newOrder(fmt.Sprintf("ord-%06d", seq), seq%5 == 2)
}

func newOrder(id string, bad bool) amqp.Publishing {
	o := order{OrderID: id, CustomerID: fmt.Sprintf("cus-%04d", rand.IntN(5000)), Currency: pick(currencies), CreatedAt: now()}
	for range rand.IntN(3) + 1 {
		it := orderItem{SKU: fmt.Sprintf("SKU-%04d", rand.IntN(900)+100), Qty: rand.IntN(4) + 1, UnitPrice: float64(rand.IntN(9000)+99) / 100}
		o.Items = append(o.Items, it)
		o.Total += float64(it.Qty) * it.UnitPrice
	}
	o.Total = float64(int(o.Total*100+0.5)) / 100
	if bad {
		switch rand.IntN(3) {
		case 0:
			o.Items[0].Qty = 0
		case 1:
			o.CustomerID = ""
		default:
			o.Currency = "XXX"
		}
	}
	return jsonMsg("order.created", id, o, true)
}

var errBadOrder = errors.New("invalid order")

func validateOrder(body []byte) error {
	var o order
	if err := json.Unmarshal(body, &o); err != nil {
		return fmt.Errorf("%w: %v", errBadOrder, err)
	}
	switch {
	case o.CustomerID == "":
		return fmt.Errorf("%w: missing customer_id", errBadOrder)
	case o.Currency != "EUR" && o.Currency != "USD" && o.Currency != "GBP":
		return fmt.Errorf("%w: unknown currency %q", errBadOrder, o.Currency)
	case len(o.Items) == 0:
		return fmt.Errorf("%w: no items", errBadOrder)
	}
	for _, it := range o.Items {
		if it.Qty <= 0 {
			return fmt.Errorf("%w: item %s has qty %d", errBadOrder, it.SKU, it.Qty)
		}
	}
	return nil
}

func invoiceMsg(seq uint64) amqp.Publishing {
	id := fmt.Sprintf("inv-%06d", seq)
	return jsonMsg("invoice.pending", id, map[string]any{
		"invoice_id": id, "customer_id": fmt.Sprintf("cus-%04d", rand.IntN(5000)),
		"amount": float64(rand.IntN(500000)+1000) / 100, "currency": pick(currencies),
		"due_date": time.Now().AddDate(0, 0, 30).Format(time.DateOnly), "created_at": now(),
	}, true)
}

func paymentMsg(seq uint64) amqp.Publishing {
	id := fmt.Sprintf("pay-%06d", seq)
	return jsonMsg("payment.authorized", id, map[string]any{
		"payment_id": id, "order_id": fmt.Sprintf("ord-%06d", rand.IntN(100000)),
		"amount": float64(rand.IntN(30000)+500) / 100, "currency": pick(currencies),
		"method": pick(payMethods), "status": "authorized", "ts": now(),
	}, true)
}

func eventMsg(seq uint64) amqp.Publishing {
	id := fmt.Sprintf("evt-%07d", seq)
	return jsonMsg("event", id, map[string]any{
		"event_id": id, "type": pick(eventKinds), "user_id": fmt.Sprintf("u-%05d", rand.IntN(20000)),
		"path": pick([]string{"/", "/products", "/cart", "/checkout", "/search?q=shoes"}), "ts": now(),
	}, false)
}

func euMsg(seq uint64, queue string) amqp.Publishing {
	if queue == QueueEUNotifications {
		id := fmt.Sprintf("ntf-%06d", seq)
		return jsonMsg("notification", id, map[string]any{
			"notification_id": id, "channel": pick([]string{"email", "sms", "push"}),
			"locale": pick([]string{"de-DE", "fr-FR", "nl-NL", "es-ES"}), "ts": now(),
		}, false)
	}
	return newOrder(fmt.Sprintf("eu-ord-%06d", seq), false)
}

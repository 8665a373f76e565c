// Package instance names this mqtop process among others: every AMQP
// connection it opens carries ID as the client property mqtop_instance,
// so that it can tell its own connections from another mqtop's (the
// product property says only "mqtop").
package instance

import (
	"crypto/rand"
	"encoding/hex"
)

// Property is the client property that carries ID.
const Property = "mqtop_instance"

// ID is random per process.
var ID = func() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}()

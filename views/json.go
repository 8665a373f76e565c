package views

import (
	"bytes"
	"encoding/json"

	"github.com/mqtop/mqtop/internal/safe"
)

// PrettyJSON indents raw JSON and neutralises anything in it that could
// drive the terminal (JSON strings may hold escape sequences verbatim once
// decoded; here they stay as the escaped text the broker sent).
func PrettyJSON(raw []byte) string {
	if len(raw) == 0 {
		return "(no JSON: this row came from the Prometheus index and has not been fetched yet)"
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		return safe.Lines(string(raw))
	}
	return safe.Lines(buf.String())
}

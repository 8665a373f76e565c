package views

import (
	"fmt"

	"github.com/mqtop/mqtop/internal/history"
)

// Trend is history.Trend, re-exported so callers of views need not import it.
type Trend = history.Trend

// FmtTrend renders growing / draining / flat with the pace and time to drain.
func FmtTrend(t Trend) string {
	if !t.Known {
		return unknown
	}
	switch t.Dir {
	case history.Growing:
		return fmt.Sprintf("▲ +%s/s", fmtFloat(t.PerSec))
	case history.Draining:
		return fmt.Sprintf("▼ %s/s %s", fmtFloat(-t.PerSec), FmtDuration(t.Drain))
	}
	return "= flat"
}

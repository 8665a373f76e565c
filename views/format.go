// Package views renders mqtop's screens. A view gets the data the root model
// loaded, renders it, and answers keys with intents (messages named
// ...Requested); it never performs I/O.
package views

import (
	"fmt"
	"math"
	"strings"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/dustin/go-humanize"

	"github.com/mqtop/mqtop/internal/safe"
	"github.com/mqtop/mqtop/mgmt"
)

const unknown = "–"

// FmtCount renders a count with thousands separators, or a dash.
func FmtCount(c mgmt.Count) string {
	if !c.OK {
		return unknown
	}
	return humanize.Comma(c.N)
}

// FmtRate renders a per-second rate compactly.
func FmtRate(r mgmt.Rate) string {
	if !r.OK {
		return unknown
	}
	return fmtFloat(r.PerSec)
}

func fmtFloat(v float64) string {
	a := math.Abs(v)
	switch {
	case a == 0:
		return "0"
	case a < 10:
		return fmt.Sprintf("%.1f", v)
	case a < 10000:
		return fmt.Sprintf("%.0f", v)
	default:
		return humanize.SIWithDigits(v, 1, "")
	}
}

// FmtBytes renders a byte count in IEC units.
func FmtBytes(c mgmt.Count) string {
	if !c.OK {
		return unknown
	}
	return humanize.IBytes(uint64(max(c.N, 0)))
}

// FmtDuration renders a duration the way an operator reads it: 45s, 4m10s, 3h2m, 5d3h.
func FmtDuration(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	switch {
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd%dh", int(d.Hours())/24, int(d.Hours())%24)
}

// Clean neutralises broker-supplied text for one cell or line.
func Clean(s string) string { return safe.Text(s) }

// fit pads or truncates s (which may hold styles) to exactly w cells.
func fit(s string, w int, right bool) string {
	if w <= 0 {
		return ""
	}
	sw := lipgloss.Width(s)
	if sw > w {
		return ansi.Truncate(s, w, "…")
	}
	pad := strings.Repeat(" ", w-sw)
	if right {
		return pad + s
	}
	return s + pad
}

// Truncate cuts a rendered line to w cells.
func Truncate(s string, w int) string { return ansi.Truncate(s, w, "…") }

// Package theme holds the styles every view shares, so views and the root
// model can use them without importing each other. Colours are true-colour
// values; Bubble Tea downsamples them to 256, 16 or no colour (NO_COLOR) for
// the terminal it runs in.
package theme

import (
	"image/color"

	"charm.land/lipgloss/v2"
)

var (
	Accent  = lipgloss.Color("#5fafff")
	Muted   = lipgloss.Color("#8a8a8a")
	Good    = lipgloss.Color("#5fd75f")
	Warn    = lipgloss.Color("#ffaf00")
	Bad     = lipgloss.Color("#ff5f5f")
	Fg      = lipgloss.Color("#d0d0d0")
	SelBg   = lipgloss.Color("#303a52")
	BadgeFg = lipgloss.Color("#000000")
)

var (
	Title     = lipgloss.NewStyle().Bold(true).Foreground(Accent)
	Dim       = lipgloss.NewStyle().Foreground(Muted)
	Label     = lipgloss.NewStyle().Foreground(Muted)
	Value     = lipgloss.NewStyle().Foreground(Fg)
	Ok        = lipgloss.NewStyle().Foreground(Good)
	Warning   = lipgloss.NewStyle().Foreground(Warn)
	Error     = lipgloss.NewStyle().Foreground(Bad).Bold(true)
	TableHead = lipgloss.NewStyle().Bold(true).Foreground(Accent)
	SortedCol = lipgloss.NewStyle().Bold(true).Underline(true).Foreground(Accent)
	Selected  = lipgloss.NewStyle().Background(SelBg).Bold(true)
	Attention = lipgloss.NewStyle().Foreground(Warn)
	Key       = lipgloss.NewStyle().Bold(true).Foreground(Accent)
	Border    = lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(Muted).Padding(0, 1)
)

// Badge renders a short inverse label such as READ-ONLY.
func Badge(text string, bg color.Color) string {
	return lipgloss.NewStyle().Background(bg).Foreground(BadgeFg).Bold(true).Padding(0, 1).Render(text)
}

// ContextColor parses a context's configured colour, falling back to Accent.
func ContextColor(s string) color.Color {
	if s == "" {
		return Accent
	}
	return lipgloss.Color(s)
}

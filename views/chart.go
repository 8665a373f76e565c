package views

import (
	"math"
	"strings"
)

var sparkRunes = []rune("▁▂▃▄▅▆▇█")

// Sparkline draws the last width values as one line of block characters,
// scaled between their own minimum and maximum.
func Sparkline(vals []float64, width int) string {
	if width <= 0 || len(vals) == 0 {
		return ""
	}
	if len(vals) > width {
		vals = vals[len(vals)-width:]
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range vals {
		if math.IsNaN(v) {
			continue
		}
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	var b strings.Builder
	for _, v := range vals {
		switch {
		case math.IsNaN(v):
			b.WriteRune(' ')
		case hi == lo:
			if hi == 0 {
				b.WriteRune(sparkRunes[0])
			} else {
				b.WriteRune(sparkRunes[len(sparkRunes)/2])
			}
		default:
			i := int((v - lo) / (hi - lo) * float64(len(sparkRunes)-1))
			b.WriteRune(sparkRunes[i])
		}
	}
	return b.String()
}

// Chart draws values as a block chart of the given height, newest on the
// right, with the maximum and minimum labelled on the left.
func Chart(title string, vals []float64, width, height int) string {
	if height < 2 {
		height = 2
	}
	label := 8
	plotW := width - label - 1
	if plotW < 4 {
		plotW = 4
	}
	if len(vals) > plotW {
		vals = vals[len(vals)-plotW:]
	}
	hi := 0.0
	lo := math.Inf(1)
	for _, v := range vals {
		if !math.IsNaN(v) {
			hi, lo = math.Max(hi, v), math.Min(lo, v)
		}
	}
	if math.IsInf(lo, 1) {
		lo = 0
	}
	lo = math.Min(lo, 0)
	rows := make([][]rune, height)
	for r := range rows {
		rows[r] = []rune(strings.Repeat(" ", plotW))
	}
	levels := float64(height * 8)
	for i, v := range vals {
		if math.IsNaN(v) || hi == lo {
			continue
		}
		fill := int(math.Round((v - lo) / (hi - lo) * levels))
		col := plotW - len(vals) + i
		for r := 0; r < height; r++ {
			cell := fill - (height-1-r)*8
			switch {
			case cell >= 8:
				rows[r][col] = '█'
			case cell > 0:
				rows[r][col] = sparkRunes[cell-1]
			}
		}
	}
	var b strings.Builder
	b.WriteString(title)
	b.WriteByte('\n')
	for r := range rows {
		l := ""
		switch r {
		case 0:
			l = fmtFloat(hi)
		case height - 1:
			l = fmtFloat(lo)
		}
		b.WriteString(fit(l, label, true))
		b.WriteString(" ")
		b.WriteString(string(rows[r]))
		if r < height-1 {
			b.WriteByte('\n')
		}
	}
	return b.String()
}

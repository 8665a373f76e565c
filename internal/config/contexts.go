package config

import (
	"fmt"
	"slices"
	"strings"
)

// Switch returns the named context ready to connect, reading its password
// file now, plus any warnings about it. The start-up context is returned as
// it was resolved, flags and all.
func (c *Config) Switch(name string) (Context, []string, error) {
	if name == c.Context.Name {
		return c.Context, nil, nil
	}
	for _, ctx := range c.Contexts {
		if ctx.Name != name {
			continue
		}
		ctx.ReadOnly = ctx.ReadOnly || c.stickyReadOnly
		warns, err := ctx.fillPassword(false, nil)
		return ctx, warns, err
	}
	return Context{}, nil, unknownContext(name, "", c.names())
}

// Names lists the known context names in order, for completion.
func (c *Config) Names() []string { return c.names() }

func (c *Config) names() []string {
	out := make([]string, 0, len(c.Contexts))
	for _, ctx := range c.Contexts {
		out = append(out, ctx.Name)
	}
	return out
}

type namedLayer struct {
	name, source string
	layer        layer
}

// choose returns the index of the chosen context in named, or -1 for the
// implicit default.
func choose(named []namedLayer, f *flagValues, getenv func(string) string, fc *fileConfig) (int, error) {
	name, from := f.context, "--context"
	if !f.changed["context"] {
		name, from = getenv("MQTOP_CONTEXT"), "MQTOP_CONTEXT"
	}
	if name == "" && fc != nil && fc.current != "" {
		name, from = fc.current, "current_context in "+fc.path
	}
	names := make([]string, len(named))
	for i, n := range named {
		names[i] = n.name
	}
	if name != "" {
		if i := slices.Index(names, name); i >= 0 {
			return i, nil
		}
		if name == "default" {
			return -1, nil
		}
		return 0, unknownContext(name, from, names)
	}
	if i := slices.Index(names, "default"); i >= 0 {
		return i, nil
	}
	if len(named) > 0 && named[0].source == SourceConfig {
		return 0, nil
	}
	return -1, nil
}

func unknownContext(name, from string, known []string) error {
	where := ""
	if from != "" {
		where = " (from " + from + ")"
	}
	if len(known) == 0 {
		return fmt.Errorf("unknown context %q%s: no contexts are defined", name, where)
	}
	return fmt.Errorf("unknown context %q%s; known contexts: %s", name, where, strings.Join(known, ", "))
}

package tui

import (
	"context"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/mqtop/mqtop/mgmt"
	"github.com/mqtop/mqtop/views"
)

// backendDetail makes a view's detail read: read runs off the UI loop with
// the backend, which must serve the reads of B (the management client
// does), and a timeout; its text opens in the pager titled noun + the
// row's key.
func backendDetail[B any](noun string, read func(ctx context.Context, b B, key string) (string, error)) func(m *Model, key string) tea.Cmd {
	return func(m *Model, key string) tea.Cmd {
		backend, timeout := m.deps.Backend, m.deps.Timeout
		title := noun + " " + key
		return func() tea.Msg {
			b, ok := backend.(B)
			if !ok {
				return textReady{title: title, err: errNoBackend}
			}
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			text, err := read(ctx, b, key)
			return textReady{title: title, text: text, err: err}
		}
	}
}

// The reads behind the detail pages, as the management client has them.
type (
	connectionReader interface {
		GetConnection(ctx context.Context, name string) (mgmt.Connection, error)
		ConnectionChannels(ctx context.Context, name string) ([]mgmt.Channel, error)
	}
	channelReader interface {
		ChannelDetail(ctx context.Context, name string) (mgmt.Channel, []mgmt.ChannelConsumer, error)
	}
	userReader interface {
		UserDetail(ctx context.Context, name string) (mgmt.User, []mgmt.TopicPermission, error)
	}
	vhostReader interface {
		VHostDetail(ctx context.Context, name string) (mgmt.VHost, map[string]int64, error)
	}
)

var (
	connectionDetail = backendDetail("connection", func(ctx context.Context, b connectionReader, name string) (string, error) {
		conn, err := b.GetConnection(ctx, name)
		if err != nil {
			return "", err
		}
		chans, err := b.ConnectionChannels(ctx, name)
		if err != nil {
			return "", err
		}
		return views.ConnectionDetail(conn, chans, time.Now()), nil
	})
	channelDetail = backendDetail("channel", func(ctx context.Context, b channelReader, name string) (string, error) {
		ch, cons, err := b.ChannelDetail(ctx, name)
		if err != nil {
			return "", err
		}
		return views.ChannelDetail(ch, cons), nil
	})
	userDetail = backendDetail("user", func(ctx context.Context, b userReader, name string) (string, error) {
		u, topic, err := b.UserDetail(ctx, name)
		if err != nil {
			return "", err
		}
		return views.UserDetail(u, topic), nil
	})
	vhostDetail = backendDetail("vhost", func(ctx context.Context, b vhostReader, name string) (string, error) {
		h, limits, err := b.VHostDetail(ctx, name)
		if err != nil {
			return "", err
		}
		return views.VHostDetail(h, limits), nil
	})
)

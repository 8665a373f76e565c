package testenv

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// ProxyMode is how a Proxy treats the connections it accepts.
type ProxyMode int32

const (
	// Forward relays both ways.
	Forward ProxyMode = iota
	// Stall accepts, reads what the client sends and never answers: a
	// network that stalls (or a broker that hangs) without closing.
	Stall
	// Trickle forwards the request but relays the answer one byte a second.
	Trickle
)

func (m ProxyMode) String() string {
	switch m {
	case Forward:
		return "forward"
	case Stall:
		return "stall"
	case Trickle:
		return "trickle"
	}
	return "unknown"
}

// Proxy is a TCP proxy on 127.0.0.1 in front of one upstream address, whose
// behaviour a test switches while a client talks through it.
type Proxy struct {
	Addr     string // host:port it listens on
	upstream string
	ln       net.Listener
	mode     atomic.Int32

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
}

// StartProxy listens on a free port of 127.0.0.1, relays to upstream in
// mode, and stops when the test ends.
func StartProxy(t testing.TB, upstream string, mode ProxyMode) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{Addr: ln.Addr().String(), upstream: upstream, ln: ln, conns: map[net.Conn]struct{}{}}
	p.mode.Store(int32(mode))
	go p.accept()
	t.Cleanup(p.Close)
	return p
}

// URL is http://<Addr>.
func (p *Proxy) URL() string { return "http://" + p.Addr }

// SetMode switches the mode and closes every connection open now, so that
// kept-alive connections meet the new mode too (a client reconnects).
func (p *Proxy) SetMode(m ProxyMode) {
	p.mode.Store(int32(m))
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		c.Close()
		delete(p.conns, c)
	}
}

// Close stops listening and closes every connection.
func (p *Proxy) Close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.ln.Close()
	p.SetMode(ProxyMode(p.mode.Load()))
}

// track registers c; false when the proxy is closed (c is closed then).
func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		c.Close()
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *Proxy) untrack(cs ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range cs {
		c.Close()
		delete(p.conns, c)
	}
}

func (p *Proxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		if p.track(c) {
			go p.serve(c, ProxyMode(p.mode.Load()))
		}
	}
}

func (p *Proxy) serve(c net.Conn, mode ProxyMode) {
	if mode == Stall {
		_, _ = io.Copy(io.Discard, c) // until the client gives up or SetMode closes it
		p.untrack(c)
		return
	}
	up, err := net.DialTimeout("tcp", p.upstream, 5*time.Second)
	if err != nil {
		p.untrack(c)
		return
	}
	if !p.track(up) {
		p.untrack(c)
		return
	}
	defer p.untrack(c, up)
	go func() {
		_, _ = io.Copy(up, c)
		p.untrack(c, up)
	}()
	if mode == Forward {
		_, _ = io.Copy(c, up)
		return
	}
	b := make([]byte, 1)
	for {
		if _, err := io.ReadFull(up, b); err != nil {
			return
		}
		if _, err := c.Write(b); err != nil {
			return
		}
		time.Sleep(time.Second)
	}
}

// ClosedAddr is a loopback host:port nothing listens on (a port just freed:
// a dial there is refused).
func ClosedAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

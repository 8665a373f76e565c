package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/creack/pty"
	rabbithole "github.com/michaelklishin/rabbit-hole/v3"
	amqp "github.com/rabbitmq/amqp091-go"
)

// Peers is what the other tools' approaches cost a client.
type Peers struct {
	FullListMs   float64 // rabbit-hole ListQueues: request + decode, median
	FullListRows int
	FullListReps int
	FullListCut  bool    // given up after the cap
	SortPageMs   float64 // GET + decode of the management API's depth sort, page of 50
}

func measurePeers(b *broker, res *SizeResult, st settings) error {
	rh, err := rabbithole.NewClient(b.mgmtURL, user, password)
	if err != nil {
		return err
	}
	rh.SetTimeout(st.FullListCap)
	var full, sorted []float64
	for i := 0; i < min(st.Reps, 3); i++ {
		start := time.Now()
		qs, err := rh.ListQueues()
		if err != nil && time.Since(start) >= st.FullListCap-time.Second {
			full, res.Peers.FullListCut = []float64{st.FullListCap.Seconds() * 1000}, true
			break
		}
		if err != nil {
			return fmt.Errorf("full list: %w", err)
		}
		full = append(full, time.Since(start).Seconds()*1000)
		res.Peers.FullListRows = len(qs)
	}
	// A request given up on the client side may still be running at the
	// broker: let it finish before measuring anything else.
	if res.Peers.FullListCut {
		waitBrokerQuiet(b, 2*st.FullListCap)
	}
	hc := &http.Client{Timeout: 10 * time.Minute}
	for i := 0; i < st.Reps; i++ {
		start := time.Now()
		req, _ := http.NewRequest(http.MethodGet, b.mgmtURL+"/api/queues?page=1&page_size=50&sort=messages&sort_reverse=true", nil)
		req.SetBasicAuth(user, password)
		resp, err := hc.Do(req)
		if err != nil {
			return fmt.Errorf("depth sort: %w", err)
		}
		var page struct{ Items []map[string]any }
		err = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if err != nil {
			return fmt.Errorf("depth sort: %w", err)
		}
		sorted = append(sorted, time.Since(start).Seconds()*1000)
	}
	res.Peers.FullListMs, res.Peers.FullListReps, res.Peers.SortPageMs = median(full), len(full), median(sorted)
	logf("peers: full list %.0f ms (%d rows), depth sort page %.0f ms", res.Peers.FullListMs, res.Peers.FullListRows, res.Peers.SortPageMs)
	return nil
}

// ptyMqtop is the real mqtop binary in a 120x40 pseudo-terminal, its
// output counted and discarded (or copied to a tee while asked).
type ptyMqtop struct {
	cmd   *exec.Cmd
	f     *os.File
	bytes atomic.Int64
	mu    sync.Mutex
	tee   io.Writer
	done  chan struct{}
	home  string
}

func startMqtop(bin, mgmtURL, promURL string, noProm bool) (*ptyMqtop, error) {
	home, err := os.MkdirTemp("", "mqtop-bench-home")
	if err != nil {
		return nil, err
	}
	args := []string{"--url", mgmtURL, "--prometheus-url", promURL, "--user", user, "--rabbitmqadmin-config", "", "--refresh", "2s"}
	if noProm {
		args = append(args, "--no-prometheus")
	}
	cmd := exec.Command(bin, args...)
	// A clean environment: no user config, the password only in the env.
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, "config"),
		"XDG_STATE_HOME=" + filepath.Join(home, "state"), "TERM=xterm-256color", "LANG=C.UTF-8", "MQTOP_PASSWORD=" + password}
	// It dies with the bench, even when a timeout kills the bench.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 120})
	if err != nil {
		os.RemoveAll(home)
		return nil, err
	}
	p := &ptyMqtop{cmd: cmd, f: f, done: make(chan struct{}), home: home}
	go func() {
		defer close(p.done)
		buf := make([]byte, 64<<10)
		for {
			n, err := f.Read(buf)
			if n > 0 {
				p.bytes.Add(int64(n))
				p.mu.Lock()
				if p.tee != nil {
					_, _ = p.tee.Write(buf[:n])
				}
				p.mu.Unlock()
			}
			if err != nil {
				return
			}
		}
	}()
	return p, nil
}

func (p *ptyMqtop) setTee(w io.Writer) { p.mu.Lock(); p.tee = w; p.mu.Unlock() }

func (p *ptyMqtop) pid() int { return p.cmd.Process.Pid }

// stop asks mqtop to quit (q), then signals, then kills.
func (p *ptyMqtop) stop() {
	_, _ = p.f.Write([]byte("q"))
	exited := make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(exited) }()
	select {
	case <-exited:
	case <-time.After(3 * time.Second):
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(3 * time.Second):
			_ = p.cmd.Process.Kill()
			<-exited
		}
	}
	p.f.Close()
	<-p.done
	os.RemoveAll(p.home)
}

// waitPolls waits until the recorder has seen n polls in all.
func waitPolls(rec *recorder, n int64, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for rec.overviews.Load() < n {
		if time.Now().After(deadline) {
			return fmt.Errorf("only %d of %d polls after %s", rec.overviews.Load(), n, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return nil
}

// Window is the broker CPU over one watching window.
type Window struct {
	Name         string
	Seconds      float64
	BrokerCPUs   float64
	AddedCPUs    float64 // minus the idle window, scaled to the same length
	Polls        int64
	ClientCPUs   float64 // mqtop's own CPU (pty runs)
	ClientPeakMB float64
	ClientRSSMB  float64
}

func measureBrokerCPU(b *broker, res *SizeResult, st settings, bin string) error {
	if _, err := b.beamCPU(); err != nil {
		return err
	}
	cpu := func() time.Duration { d, _ := b.beamCPU(); return d }
	var idle float64
	add := func(w Window) {
		if w.Name == "idle" {
			idle = w.BrokerCPUs / w.Seconds
		}
		w.AddedCPUs = w.BrokerCPUs - idle*w.Seconds
		res.CPU = append(res.CPU, w)
		logf("broker cpu %-28s %.1fs: %.2f s (added %.2f s), %d polls", w.Name, w.Seconds, w.BrokerCPUs, w.AddedCPUs, w.Polls)
		time.Sleep(3 * time.Second) // let the last requests drain
	}
	// Idle.
	c0, t := cpu(), time.Now()
	time.Sleep(st.CPUWindow)
	add(Window{Name: "idle", Seconds: time.Since(t).Seconds(), BrokerCPUs: (cpu() - c0).Seconds()})

	// mqtop in a pty, through the recorder, to count its polls.
	for _, noProm := range []bool{false, true} {
		name := "mqtop, Prometheus source"
		if noProm {
			name = "mqtop, management source"
		}
		rec, err := newRecorder(b)
		if err != nil {
			return err
		}
		p, err := startMqtop(bin, rec.mgmt, rec.prom, noProm)
		if err != nil {
			rec.close()
			return err
		}
		err = waitPolls(rec, 2, 3*time.Minute) // start-up (first scrape) is not watching
		if err == nil {
			p0, c0, m0, t := rec.overviews.Load(), cpu(), clientCPU(p.pid()), time.Now()
			time.Sleep(st.CPUWindow)
			w := Window{Name: name, Seconds: time.Since(t).Seconds(), BrokerCPUs: (cpu() - c0).Seconds(),
				Polls: rec.overviews.Load() - p0, ClientCPUs: (clientCPU(p.pid()) - m0).Seconds()}
			w.ClientPeakMB, w.ClientRSSMB = procRSS(p.pid())
			p.stop()
			add(w)
		} else {
			p.stop()
		}
		rec.close()
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}

	// The peers: the full list every interval, back-to-back when slower.
	rh, err := rabbithole.NewClient(b.mgmtURL, user, password)
	if err != nil {
		return err
	}
	rh.SetTimeout(10 * time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	var polls atomic.Int64
	var pollErr atomic.Value
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		for ctx.Err() == nil {
			next := time.Now().Add(st.Interval)
			if _, err := rh.ListQueues(); err != nil {
				pollErr.Store(err.Error())
			}
			polls.Add(1)
			select {
			case <-ctx.Done():
			case <-time.After(time.Until(next)):
			}
		}
	}()
	c0, t = cpu(), time.Now()
	time.Sleep(st.CPUWindow)
	w := Window{Name: "peers: full list every " + st.Interval.String(), Seconds: time.Since(t).Seconds(),
		BrokerCPUs: (cpu() - c0).Seconds(), Polls: polls.Load()}
	cancel()
	<-stopped
	if e, ok := pollErr.Load().(string); ok {
		res.note("full-list polling: %s", e)
	}
	add(w)
	return nil
}

// waitBrokerQuiet waits (at most limit) until the broker's CPU use (every
// node's together) drops below a quarter of a core over a second.
func waitBrokerQuiet(b *broker, limit time.Duration) {
	if _, err := b.beamCPU(); err != nil {
		return
	}
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		c0, _ := b.beamCPU()
		time.Sleep(time.Second)
		c1, _ := b.beamCPU()
		if c1-c0 < 250*time.Millisecond {
			return
		}
	}
}

func clientCPU(pid int) time.Duration { d, _ := procCPU(pid); return d }

// TTY is what mqtop writes to its terminal at steady state.
type TTY struct {
	StartupBytes int64
	Bytes        int64
	Refreshes    int64
	Seconds      float64
	PerRefresh   float64
	ClientPeakMB float64
	ClientRSSMB  float64
	RawFile      string
}

// measureTTY counts the bytes mqtop writes over TTYRefreshes refreshes
// while two queues on screen receive a message now and then.
func measureTTY(b *broker, res *SizeResult, st settings, bin, outDir string) error {
	rec, err := newRecorder(b)
	if err != nil {
		return err
	}
	defer rec.close()
	p, err := startMqtop(bin, rec.mgmt, rec.prom, false)
	if err != nil {
		return err
	}
	defer p.stop()
	conn, ch, err := dial(b)
	if err != nil {
		return err
	}
	defer conn.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for i := 0; ctx.Err() == nil; i++ {
			_ = ch.PublishWithContext(ctx, "", hotQueues[i%len(hotQueues)], false, false, amqp.Publishing{Body: []byte("tick")})
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}()
	started := time.Now()
	if err := waitPolls(rec, 3, 3*time.Minute); err != nil {
		return err
	}
	// Name order, where the two hot queues are on the first screen (the
	// list opens deepest first; s cycles to name in 9 steps).
	if _, err := p.f.Write([]byte("sssssssss")); err != nil {
		return err
	}
	if err := waitPolls(rec, rec.overviews.Load()+1, time.Minute); err != nil {
		return err
	}
	time.Sleep(time.Until(started.Add(st.TTYSkip)))
	raw := filepath.Join(outDir, fmt.Sprintf("tty-%d.raw", res.Size))
	f, err := os.Create(raw)
	if err != nil {
		return err
	}
	defer f.Close()
	p.setTee(f)
	b0, p0, t0 := p.bytes.Load(), rec.overviews.Load(), time.Now()
	n := int64(st.TTYRefreshes)
	err = waitPolls(rec, p0+n, time.Duration(n)*4*st.Interval+2*time.Minute)
	// The last poll's answer is drawn a moment after its request.
	time.Sleep(st.Interval / 2)
	p.setTee(nil)
	if err != nil {
		return err
	}
	t := TTY{StartupBytes: b0, Bytes: p.bytes.Load() - b0, Refreshes: rec.overviews.Load() - p0, Seconds: time.Since(t0).Seconds(), RawFile: raw}
	t.PerRefresh = float64(t.Bytes) / float64(t.Refreshes)
	// The screen's rows are read one GET each: the hot queues' show that
	// they were on screen (name order).
	onScreen := false
	for _, r := range rec.take() {
		onScreen = onScreen || strings.HasSuffix(r.path(), "/"+hotQueues[0])
	}
	if !onScreen {
		res.note("terminal bytes: %s was not on screen while counting (not name order?)", hotQueues[0])
	}
	t.ClientPeakMB, t.ClientRSSMB = procRSS(p.pid())
	res.TTY = t
	logf("terminal: %d bytes over %d refreshes (%.0f B/refresh), start-up %d bytes", t.Bytes, t.Refreshes, t.PerRefresh, t.StartupBytes)
	return nil
}

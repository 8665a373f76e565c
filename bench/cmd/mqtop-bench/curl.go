package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os/exec"
	"sort"
	"strconv"
	"time"
)

type transfer struct {
	sec  float64
	size int64
	code int
}

// curl fetches urls (parallel at a time), keeping connections alive as
// mqtop does, and returns each transfer's time and the wall time.
func curl(urls []string, accept, enc string, parallel int) ([]transfer, time.Duration, error) {
	return curlMax(urls, accept, enc, parallel, 600*time.Second)
}

// errCurlTimeout is curl's exit status 28: --max-time ran out.
var errCurlTimeout = errors.New("curl: timed out")

func curlMax(urls []string, accept, enc string, parallel int, maxTime time.Duration) ([]transfer, time.Duration, error) {
	args := []string{"-q", "-s", "--noproxy", "*", "-u", user + ":" + password, "--max-time", fmt.Sprintf("%.0f", maxTime.Seconds()),
		"-w", "%{time_total} %{size_download} %{http_code}\\n"}
	if accept != "" {
		args = append(args, "-H", "Accept: "+accept)
	}
	if enc != "" {
		args = append(args, "-H", "Accept-Encoding: "+enc)
	}
	if parallel > 1 {
		args = append(args, "--parallel", "--parallel-immediate", "--parallel-max", strconv.Itoa(parallel))
	}
	for _, u := range urls {
		args = append(args, "-o", "/dev/null", u)
	}
	var out bytes.Buffer
	cmd := exec.Command("curl", args...)
	cmd.Stdout = &out
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 28 {
		return nil, wall, errCurlTimeout
	}
	if err != nil {
		return nil, wall, fmt.Errorf("curl: %v", err)
	}
	var ts []transfer
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		var t transfer
		if _, err := fmt.Sscan(sc.Text(), &t.sec, &t.size, &t.code); err != nil {
			return nil, wall, fmt.Errorf("curl -w output %q: %v", sc.Text(), err)
		}
		if t.code != 200 {
			return nil, wall, fmt.Errorf("HTTP %d", t.code)
		}
		ts = append(ts, t)
	}
	if len(ts) != len(urls) {
		return nil, wall, fmt.Errorf("curl reported %d of %d transfers", len(ts), len(urls))
	}
	return ts, wall, nil
}

// curlOne times one URL reps times on one kept-alive connection, after a
// first request that opens it.
func curlOne(u, accept, enc string, reps int) (Floor, error) {
	urls := make([]string, reps+1)
	for i := range urls {
		urls[i] = u
	}
	ts, _, err := curl(urls, accept, enc, 1)
	if err != nil {
		return Floor{}, err
	}
	ts = ts[1:]
	secs, sizes := make([]float64, len(ts)), make([]float64, len(ts))
	for i, t := range ts {
		secs[i], sizes[i] = t.sec*1000, float64(t.size)
	}
	return Floor{MedianMs: median(secs), MinMs: minOf(secs), Bytes: int64(median(sizes)), N: len(ts)}, nil
}

// curlCapped times a slow URL (the full queue list) up to reps times, one
// curl each (its connection set-up is noise next to the request), giving
// up after limit: the floor is then "more than limit".
func curlCapped(u, accept, enc string, reps int, limit time.Duration) (Floor, error) {
	var secs, sizes []float64
	for i := 0; i < reps; i++ {
		ts, _, err := curlMax([]string{u}, accept, enc, 1, limit)
		if err == errCurlTimeout {
			return Floor{MedianMs: limit.Seconds() * 1000, MinMs: limit.Seconds() * 1000, N: i + 1, TimedOut: true}, nil
		}
		if err != nil {
			return Floor{}, err
		}
		secs, sizes = append(secs, ts[0].sec*1000), append(sizes, float64(ts[0].size))
	}
	return Floor{MedianMs: median(secs), MinMs: minOf(secs), Bytes: int64(median(sizes)), N: len(secs)}, nil
}

// curlBatch times a screen's per-queue GETs as mqtop sends them, parallel
// at a time: reps+1 batches in one curl, whose start-up (measured apart)
// is taken off the wall time.
func curlBatch(gets []recReq, enc string, parallel, reps int) (Floor, error) {
	if len(gets) == 0 {
		return Floor{}, fmt.Errorf("no per-queue GETs were recorded")
	}
	var urls []string
	for i := 0; i <= reps; i++ {
		for _, g := range gets {
			urls = append(urls, g.Base+g.URI)
		}
	}
	ts, wall, err := curl(urls, gets[0].Accept, enc, parallel)
	if err != nil {
		return Floor{}, err
	}
	// Start-up: a curl of one GET, minus that GET's own time.
	var overhead []float64
	for i := 0; i < 3; i++ {
		t1, w1, err := curl(urls[:1], gets[0].Accept, enc, 1)
		if err != nil {
			return Floor{}, err
		}
		overhead = append(overhead, w1.Seconds()*1000-t1[0].sec*1000)
	}
	var sum float64
	var bytes int64
	for _, t := range ts {
		sum += t.sec * 1000
		bytes += t.size
	}
	batches := float64(reps + 1)
	per := (wall.Seconds()*1000 - median(overhead)) / batches
	return Floor{MedianMs: per, MinMs: per, SumOver8: sum / batches / float64(parallel),
		Bytes: int64(float64(bytes) / batches), N: reps + 1}, nil
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func minOf(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	m := xs[0]
	for _, x := range xs {
		m = min(m, x)
	}
	return m
}

func maxOf(xs []float64) float64 {
	m := 0.0
	for _, x := range xs {
		m = max(m, x)
	}
	return m
}

func percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[min(len(s)-1, int(p*float64(len(s))))]
}

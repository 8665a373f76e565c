// Command mqtop-bench measures mqtop against a private broker holding many
// queues: the broker's own time and bytes for the exact queries mqtop sends
// (the floors), mqtop's refresh cycle through each queue source, the peers'
// approaches (the full queue list each poll, the management API's own depth
// sort), the broker CPU each approach adds, and the bytes mqtop writes to its
// terminal per refresh. bench/run.sh drives it, one fresh broker per size.
//
//	mqtop-bench size -size N -mqtop bin/mqtop -out DIR   (broker from MQTOP_TEST_* env)
//	mqtop-bench cycle ...                                 (child: mqtop's cycle, own CPU/RSS)
//	mqtop-bench setup -size N                             (only the queues and messages of a size, for cycle runs by hand)
//	mqtop-bench publish -out DIR                           (repeat mode vs plain amqp091-go)
//	mqtop-bench report DIR/size-*.json [DIR/publish.json]  (Markdown to stdout)
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: mqtop-bench size|cycle|setup|publish|report|views ...")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "size":
		err = runSize(os.Args[2:])
	case "cycle":
		err = runCycle(os.Args[2:])
	case "setup":
		err = runSetup(os.Args[2:])
	case "publish":
		err = runPublish(os.Args[2:])
	case "move":
		err = runMove(os.Args[2:])
	case "report":
		err = runReport(os.Args[2:])
	case "cluster":
		err = runCluster(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "mqtop-bench:", err)
		os.Exit(1)
	}
}

// settings are the knobs a run takes from the environment.
type settings struct {
	Reps         int           // repetitions of each floor query and cold cycle
	Refreshes    int           // mqtop refreshes timed for CPU and RSS
	Interval     time.Duration // mqtop's refresh interval (and the full-list poll interval)
	CPUWindow    time.Duration // each broker-CPU window
	TTYRefreshes int           // refreshes counted through the pty
	TTYSkip      time.Duration // start-up skipped before counting terminal bytes
	ProfileDir   string        // CPU and heap profiles of the cycle children, when set
	FullListCap  time.Duration // the full /api/queues is given up after this ("> N s")
	CycleBudget  time.Duration // a cycle run stops after this once it has MinRefreshes
}

// MinRefreshes is the least refreshes a cycle run times, whatever its budget.
const MinRefreshes = 5

func loadSettings() settings {
	return settings{
		Reps: envInt("MQTOP_BENCH_REPS", 5), Refreshes: envInt("MQTOP_BENCH_REFRESHES", 30),
		Interval: envDur("MQTOP_BENCH_INTERVAL", 2*time.Second), CPUWindow: envDur("MQTOP_BENCH_CPU_WINDOW", 60*time.Second),
		TTYRefreshes: envInt("MQTOP_BENCH_TTY_REFRESHES", 20), TTYSkip: envDur("MQTOP_BENCH_TTY_SKIP", 5*time.Second),
		ProfileDir:  os.Getenv("MQTOP_BENCH_PROFILE_DIR"),
		FullListCap: envDur("MQTOP_BENCH_FULL_LIST_CAP", 60*time.Second),
		CycleBudget: envDur("MQTOP_BENCH_CYCLE_BUDGET", 150*time.Second),
	}
}

func envInt(k string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(k)); err == nil && n > 0 {
		return n
	}
	return def
}

// envDur takes a Go duration ("90s") or plain seconds ("90").
func envDur(k string, def time.Duration) time.Duration {
	v := os.Getenv(k)
	if d, err := time.ParseDuration(v); err == nil && d > 0 {
		return d
	}
	if n, err := strconv.ParseFloat(v, 64); err == nil && n > 0 {
		return time.Duration(n * float64(time.Second))
	}
	return def
}

// SizeResult is everything measured for one queue count; report reads it.
type SizeResult struct {
	Size, Messages, DeepQueues int
	Settings                   settings
	StartupS, ImportS          float64
	PublishS, SettleS          float64
	BrokerRSSMB                float64
	GoAcceptEncoding           string // what mqtop's HTTP transport sent
	ContentEncoding            string // what the broker answered with
	Floors                     map[string]Floor
	Cycles                     []Cycle
	Peers                      Peers
	CPU                        []Window
	TTY                        TTY
	Notes                      []string
	Cluster                    *ClusterResult `json:",omitempty"` // the 3-node row (mqtop-bench cluster)
}

func (r *SizeResult) note(format string, a ...any) {
	s := fmt.Sprintf(format, a...)
	r.Notes = append(r.Notes, s)
	logf("note: %s", s)
}

var t0 = time.Now()

func logf(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "[%6.1fs] %s\n", time.Since(t0).Seconds(), fmt.Sprintf(format, a...))
}

// runSetup declares a size's queues and messages on the broker of the
// environment, so that cycle runs can be timed by hand against it, e.g.
// mqtop-bench cycle -cold -n 5 -mgmt URL -prom URL -source prometheus -order depth.
func runSetup(args []string) error {
	fs := flag.NewFlagSet("setup", flag.ContinueOnError)
	size := fs.Int("size", 1000, "queues to create")
	if err := fs.Parse(args); err != nil {
		return err
	}
	b, err := brokerFromEnv()
	if err != nil {
		return err
	}
	return setup(b, &SizeResult{Size: *size})
}

func runSize(args []string) error {
	fs := flag.NewFlagSet("size", flag.ContinueOnError)
	size := fs.Int("size", 1000, "queues to create")
	bin := fs.String("mqtop", "bin/mqtop", "the built mqtop binary")
	outDir := fs.String("out", ".", "directory for size-N.json and raw data")
	startup := fs.Float64("startup", 0, "broker start-up seconds, as measured by the driver")
	if err := fs.Parse(args); err != nil {
		return err
	}
	st := loadSettings()
	b, err := brokerFromEnv()
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	res := &SizeResult{Size: *size, Settings: st, StartupS: *startup, Floors: map[string]Floor{}}
	out := filepath.Join(*outDir, fmt.Sprintf("size-%d.json", *size))
	save := func() error {
		data, err := json.MarshalIndent(res, "", "  ")
		if err != nil {
			return err
		}
		return os.WriteFile(out, data, 0o644)
	}
	// Setup must succeed; every later step records its failure and the run goes on.
	logf("== %d queues: setup", *size)
	if err := setup(b, res); err != nil {
		_ = save()
		return fmt.Errorf("setup: %w", err)
	}
	if err := runSteps(fmt.Sprintf("%d queues", *size), res, sizeSteps(b, res, st, self, *bin, *outDir), save); err != nil {
		return err
	}
	logf("== %d queues: done, %s", *size, out)
	return nil
}

// step is one measurement of a size (or the cluster) after its setup.
type step struct {
	name string
	run  func() error
}

// sizeSteps are a broker's measurements, the same for one node and for a
// cluster: floors, mqtop's refreshes, the peers, broker CPU, terminal bytes.
func sizeSteps(b *broker, res *SizeResult, st settings, self, bin, outDir string) []step {
	return []step{
		{"floors", func() error { return measureFloors(b, res, st) }},
		{"cycles", func() error { return measureCycles(b, res, st, self) }},
		{"peers", func() error { return measurePeers(b, res, st) }},
		{"broker cpu", func() error { return measureBrokerCPU(b, res, st, bin) }},
		{"terminal bytes", func() error { return measureTTY(b, res, st, bin, outDir) }},
	}
}

// runSteps runs each step, recording a failure as a note and going on,
// and saves the result after each.
func runSteps(label string, res *SizeResult, steps []step, save func() error) error {
	for _, s := range steps {
		logf("== %s: %s", label, s.name)
		if err := s.run(); err != nil {
			res.note("%s failed: %v", s.name, err)
		}
		if err := save(); err != nil {
			return err
		}
	}
	return nil
}

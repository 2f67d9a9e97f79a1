// Command scale measures how streetsync's cost grows with the size of the street: for each N it
// generates N enterprises and about 5N roster entries (with their certificates and alarms) in the
// mock platforms, loads the generated workbook, and times the built `streetsync` binary through
// the operator's commands — import, the first `sync all`, a second (incremental) `sync all`,
// `reconcile all` and `alerts check` twice (the first delivering every alert to a local webhook,
// the second a day's check with nothing due) — reporting wall time, records per second, CPU time
// and peak resident memory of each, and how each grows from one N to the next.
//
// It exists because the street's numbers are small today and will not stay so: the platforms
// hold every enterprise of the district, and the nightly window is fixed. The rate limits are
// lifted (the mocks' and the client's) so that what is measured is streetsync, not the
// platforms' quotas; the retry backoff is shortened (5 s doubling to 30 s) so that `queue drain`
// measures the wait for the platform rather than the length of a backoff step.
//
//	go run ./test/scale -n 1000,10000,100000
//	go run ./test/scale -n 1000 -driver postgres -dsn postgres://…   # the PostgreSQL ledger
//	go run ./test/scale -n 10000,100000 -steps import                 # only the import
//
// It needs redis-server on PATH (or -redis host:port). The mocks run in this process, so the
// machine's CPU is shared between them and the binary; the CPU column is the binary's own.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"streetsync/mocks"
	"streetsync/mocks/dataset"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// options are the command line.
type options struct {
	sizes  []int
	seed   int64
	bin    string
	redis  string
	driver string
	dsn    string
	keep   bool
	steps  map[string]bool // nil: every step
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("scale", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	sizes := fs.String("n", "1000,10000", "comma-separated numbers of enterprises")
	fs.Int64Var(&o.seed, "seed", 1, "seed of the generated street")
	fs.StringVar(&o.bin, "bin", "", "streetsync binary (default: go build ./cmd/streetsync into a temp dir)")
	fs.StringVar(&o.redis, "redis", "", "Redis host:port (default: a redis-server of its own on a free port)")
	fs.StringVar(&o.driver, "driver", "sqlite", "ledger driver: sqlite (a file in the temp dir) or postgres")
	fs.StringVar(&o.dsn, "dsn", "", "PostgreSQL DSN of an empty database (driver postgres, one -n at a time)")
	fs.BoolVar(&o.keep, "keep", false, "keep the temp dir (configs, ledgers, outputs)")
	var stepNames []string
	for _, st := range stepsOf("", 0) {
		stepNames = append(stepNames, st.name)
	}
	steps := fs.String("steps", "", "comma-separated steps to run, in their order (default all): "+strings.Join(stepNames, ","))
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if *steps != "" {
		o.steps = map[string]bool{}
		for _, s := range strings.Split(*steps, ",") {
			s = strings.TrimSpace(s)
			if !slices.Contains(stepNames, s) {
				return o, fmt.Errorf("-steps: %q is not a step (%s)", s, strings.Join(stepNames, ", "))
			}
			o.steps[s] = true
		}
	}
	for _, s := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(strings.ReplaceAll(s, "_", "")))
		if err != nil || n <= 0 {
			return o, fmt.Errorf("-n: %q is not a positive number", s)
		}
		o.sizes = append(o.sizes, n)
	}
	if o.driver != "sqlite" && o.driver != "postgres" {
		return o, fmt.Errorf("-driver: want sqlite or postgres, got %q", o.driver)
	}
	if o.driver == "postgres" && (o.dsn == "" || len(o.sizes) > 1) {
		return o, errors.New("-driver postgres needs -dsn of an empty database, and one -n at a time")
	}
	return o, nil
}

func run(args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "scale:", err)
		return 2
	}
	dir, err := os.MkdirTemp("", "streetsync-scale-")
	if err != nil {
		fmt.Fprintln(stderr, "scale:", err)
		return 1
	}
	if o.keep {
		fmt.Fprintln(stderr, "scale: working in", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if o.bin == "" {
		o.bin = filepath.Join(dir, "streetsync")
		fmt.Fprintln(stderr, "scale: building ./cmd/streetsync")
		build := exec.Command("go", "build", "-o", o.bin, "streetsync/cmd/streetsync")
		build.Stdout, build.Stderr = stderr, stderr
		if err := build.Run(); err != nil {
			fmt.Fprintln(stderr, "scale: build:", err)
			return 1
		}
	}
	if o.redis == "" {
		srv, err := startRedis(ctx, dir)
		if err != nil {
			fmt.Fprintln(stderr, "scale:", err)
			return 1
		}
		defer srv.stop()
		o.redis = srv.addr
	}
	hook, err := startHook()
	if err != nil {
		fmt.Fprintln(stderr, "scale:", err)
		return 1
	}
	defer hook.srv.Close()

	var all []measurement
	for _, n := range o.sizes {
		ms, err := measure(ctx, o, dir, n, hook.url, stderr)
		all = append(all, ms...)
		if err != nil {
			fmt.Fprintf(stderr, "scale: N=%d: %v\n", n, err)
			printTable(stdout, all)
			return 1
		}
	}
	printTable(stdout, all)
	fmt.Fprintln(stdout)
	printCalls(stdout, all)
	return 0
}

// measurement is one command at one size.
type measurement struct {
	n       int
	step    string
	wall    time.Duration
	cpu     time.Duration
	peakRSS int64
	records int
	note    string
	// calls are the platform calls a sync step made; fewestQZ and fewestSO the fewest the
	// contracts allow for the same work.
	calls              calls
	fewestQZ, fewestSO int
	// reread counts, per listing, the records still at the mark the last sync left: every
	// client reads them again (the fewest calls count them).
	reread map[string]int
}

// measure sets up one street of n enterprises and times the steps.
func measure(ctx context.Context, o options, root string, n int, hookURL string, log io.Writer) ([]measurement, error) {
	dir := filepath.Join(root, fmt.Sprintf("n%d", n))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	start := time.Now()
	ds, err := dataset.Generate(dataset.Params{Seed: o.seed, Enterprises: n, Reference: dataset.DayOf(time.Now())})
	if err != nil {
		return nil, err
	}
	srv, err := mocks.NewServer(mocks.Options{Seed: o.seed, Dataset: ds, Unlimited: true, DiscardPushes: true})
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	mctx, stopMocks := context.WithCancel(ctx)
	served := make(chan error, 1)
	ready := make(chan mocks.Endpoints, 1)
	go func() { served <- srv.Start(mctx, l, func(ep mocks.Endpoints) { ready <- ep }) }()
	defer func() { stopMocks(); <-served }()
	ep := <-ready
	workbook := filepath.Join(dir, "企业台账.xlsx")
	if err := writeWorkbook(ds, workbook); err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "scale: N=%d: %d roster entries, %d certificates, %d alarms generated and served in %s\n",
		n, len(ds.Roster), len(ds.Certificates), len(ds.Alarms), time.Since(start).Round(time.Millisecond))

	dsn := o.dsn
	if o.driver == "sqlite" {
		dsn = filepath.Join(dir, "ledger.db")
	}
	cfg := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfg, []byte(configYAML(o.redis, fmt.Sprintf("scale:%d:%d:", n, time.Now().UnixNano()),
		o.driver, dsn, ep, hookURL)), 0o600); err != nil {
		return nil, err
	}
	var out []measurement
	ids := distinctIDs(ds)
	var mk marks // where the last sync left each listing; none before the first
	for _, st := range stepsOf(workbook, n+len(ds.Roster)) {
		if o.steps != nil && !o.steps[st.name] {
			continue
		}
		if st.name == stepImportChanged {
			if _, err := changeOnePercent(ds, srv, dir); err != nil {
				return out, fmt.Errorf("%s: %w", st.name, err)
			}
		}
		fmt.Fprintf(log, "scale: N=%d: %s …\n", n, st.name)
		before := countCalls(srv)
		reread := mk.reread(srv)
		m, stdout, err := timeCommand(ctx, o.bin, cfg, dir, st.args)
		m.n, m.step = n, st.name
		if err != nil {
			return append(out, m), fmt.Errorf("%s: %w", st.name, err)
		}
		m.records, m.note = st.records(stdout)
		if st.args[0] == "sync" {
			m.calls = countCalls(srv).since(before)
			m.fewestQZ, m.fewestSO = fewestCalls(stdout, st.name == "sync all", ids, reread)
			m.reread = reread
			mk = listingMarks(srv, time.Now()) // the mocks' clock
		}
		out = append(out, m)
	}
	return out, nil
}

// step is one command measure times.
type step struct {
	name string
	args []string
	// records counts what the step handled, from its JSON output.
	records func(stdout []byte) (int, string)
}

// stepsOf returns the steps in their order, for a street whose workbook is at workbook and that
// holds records enterprises and roster entries.
func stepsOf(workbook string, records int) []step {
	return []step{
		{"import", []string{"import", workbook}, importRecords},
		{"sync all", []string{"sync", "all"}, syncRecords},
		{"sync all again", []string{"sync", "all"}, syncRecords},
		// A quiet night: nothing changed since the night after the first load (which re-reads what
		// the first load created, stamped after its own listing).
		{"sync 0%", []string{"sync", "all"}, syncRecords},
		{"queue drain", []string{"queue", "drain", "--timeout", "10m"}, func([]byte) (int, string) { return 0, "" }},
		{"reconcile all", []string{"reconcile", "all"}, func([]byte) (int, string) { return records, "" }},
		// The first check after the syncs (every alert new: recorded and delivered), then the
		// daily one (the same data: nothing changes, nothing is due).
		{"alerts check", []string{"alerts", "check"}, alertRecords},
		{"alerts check again", []string{"alerts", "check"}, alertRecords},
		// A steady night: 1 % of the street's records changed in the ledger (a workbook loaded
		// again) and 1 % of the platforms' records changed on their side, then a sync.
		{stepImportChanged, []string{"import", filepath.Join(filepath.Dir(workbook), "企业台账-1pct.xlsx")}, importRecords},
		{"sync 1%", []string{"sync", "all"}, syncRecords},
	}
}

// stepImportChanged is the step before which 1 % of the street and of the platforms changes.
const stepImportChanged = "import 1%"

func writeWorkbook(ds *dataset.Dataset, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := ds.WriteWorkbook(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func configYAML(redisAddr, prefix, driver, dsn string, ep mocks.Endpoints, hookURL string) string {
	return fmt.Sprintf(`region: {code: "350582006", name: 灵源街道}
redis: {addr: %q, password: "", prefix: %q}
ledger: {driver: %s, dsn: %q}
quanzhou: {baseURL: %q, appKey: %q, appSecret: %q, rateLimit: 100000, burst: 1000, timeout: 120s}
specialOps: {baseURL: %q, clientID: %q, clientSecret: %q, rateLimit: 100000, burst: 1000, timeout: 120s}
retry: {baseDelay: 5s, maxDelay: 30s}
alerts:
  channels:
    - {type: webhook, name: 安办, url: %q, escalations: true}
console: {listen: "127.0.0.1:0", token: "scale-console-token-0123456789"}
log: {level: warn, format: json}
`, redisAddr, prefix, driver, dsn, ep.QuanzhouBaseURL, ep.AppKey, ep.AppSecret, ep.SpecialOpsBaseURL, ep.ClientID,
		ep.ClientSecret, hookURL)
}

// timeCommand runs the binary with --format json, sampling its peak resident set (VmHWM: the
// child's rusage cannot tell, since Go starts children with vfork and Linux then counts the
// parent's peak in the child's ru_maxrss) and reading its CPU time from rusage.
func timeCommand(ctx context.Context, bin, cfg, dir string, args []string) (measurement, []byte, error) {
	var m measurement
	outPath := filepath.Join(dir, "stdout.json")
	out, err := os.Create(outPath)
	if err != nil {
		return m, nil, err
	}
	defer out.Close()
	var stderr strings.Builder
	cmd := exec.CommandContext(ctx, bin, append([]string{"--config", cfg, "--format", "json"}, args...)...)
	cmd.Stdout, cmd.Stderr, cmd.Dir = out, &limitedWriter{w: &stderr, n: 64 << 10}, dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return m, nil, err
	}
	done := make(chan struct{})
	sampled := make(chan int64, 1)
	go func() {
		var peak int64
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			if v := vmHWM(cmd.Process.Pid); v > peak {
				peak = v
			}
			select {
			case <-done:
				sampled <- peak
				return
			case <-t.C:
			}
		}
	}()
	werr := cmd.Wait()
	close(done)
	m.wall, m.peakRSS = time.Since(start), <-sampled
	if ps := cmd.ProcessState; ps != nil {
		m.cpu = ps.UserTime() + ps.SystemTime()
	}
	if werr != nil {
		return m, nil, fmt.Errorf("%v: %w\n%s", args, werr, stderr.String())
	}
	stdout, err := os.ReadFile(outPath)
	return m, stdout, err
}

type limitedWriter struct {
	w io.Writer
	n int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if l.n > 0 {
		k := min(len(p), l.n)
		l.n -= k
		_, _ = l.w.Write(p[:k])
	}
	return len(p), nil
}

// vmHWM is a process's peak resident set in bytes (0 when it cannot be read).
func vmHWM(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func importRecords(stdout []byte) (int, string) {
	var r struct {
		Enterprises struct{ Inserted, Updated, Unchanged int }
		Operators   struct{ Inserted, Updated, Unchanged int }
		Rejected    []json.RawMessage
	}
	if json.Unmarshal(stdout, &r) != nil {
		return 0, "unreadable output"
	}
	e, op := r.Enterprises, r.Operators
	n := e.Inserted + e.Updated + e.Unchanged + op.Inserted + op.Updated + op.Unchanged
	return n + len(r.Rejected), fmt.Sprintf("%d rejected", len(r.Rejected))
}

func syncRecords(stdout []byte) (int, string) {
	var sums []struct {
		Job                                                     string
		Pulled, Pushed, Unchanged, Drifted, Quarantined, Queued int
	}
	if json.Unmarshal(stdout, &sums) != nil {
		return 0, "unreadable output"
	}
	total := 0
	var parts []string
	for _, s := range sums {
		total += s.Pulled + s.Pushed + s.Unchanged + s.Quarantined + s.Queued
		// pulled/pushed/unchanged, and queued or quarantined when any
		p := fmt.Sprintf("%s %d/%d/%d", s.Job, s.Pulled, s.Pushed, s.Unchanged)
		if s.Queued+s.Quarantined > 0 {
			p += fmt.Sprintf(" q%d x%d", s.Queued, s.Quarantined)
		}
		parts = append(parts, p)
	}
	return total, strings.Join(parts, ", ")
}

func alertRecords(stdout []byte) (int, string) {
	var r struct {
		Evaluated int               `json:"evaluated"`
		Firing    []json.RawMessage `json:"firing"`
		Delivered struct{ Firing, Resolved int }
	}
	if json.Unmarshal(stdout, &r) != nil {
		return 0, "unreadable output"
	}
	return r.Evaluated, fmt.Sprintf("%d firing, %d delivered", len(r.Firing), r.Delivered.Firing)
}

// printTable prints the measurements, with each step's growth against the previous N: the
// ratio of wall times divided by the ratio of sizes (1.00: the cost grows linearly with N;
// below 1, fixed costs dominate at the smaller size). Sync notes are per job
// pulled/pushed/unchanged, with qN queued and xN quarantined when any.
func printTable(w io.Writer, ms []measurement) {
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "N\tstep\twall\trecords\trecords/s\tCPU\tpeak RSS\tgrowth\t")
	prev := map[string]measurement{}
	for _, m := range ms {
		rate := "-"
		if m.records > 0 && m.wall > 0 {
			rate = fmt.Sprintf("%.0f", float64(m.records)/m.wall.Seconds())
		}
		growth := "-"
		if p, ok := prev[m.step]; ok && p.wall > 0 {
			growth = fmt.Sprintf("%.2f", (m.wall.Seconds()/p.wall.Seconds())/(float64(m.n)/float64(p.n)))
		}
		fmt.Fprintf(tw, "%d\t%s\t%.2fs\t%d\t%s\t%.2fs\t%d MiB\t%s\t  %s\n", m.n, m.step, m.wall.Seconds(), m.records, rate,
			m.cpu.Seconds(), m.peakRSS>>20, growth, m.note)
		prev[m.step] = m
	}
	tw.Flush()
}

// hook is the alert webhook: it reads and discards deliveries.
type hook struct {
	srv *http.Server
	url string
}

func startHook() (*hook, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
	}), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(l) }()
	return &hook{srv: srv, url: "http://" + l.Addr().String() + "/hook"}, nil
}

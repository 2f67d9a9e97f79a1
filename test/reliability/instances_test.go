package reliability

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/robfig/cron/v3"

	"streetsync/internal/ledger"
	"streetsync/internal/testutil"
	"streetsync/mocks/dataset"
	"streetsync/mocks/fault"
	"streetsync/mocks/specialops"
	"streetsync/scheduler"
)

// compressedDay is a day of schedules squeezed into seconds: every job every two to four
// seconds, offset so that they overlap the way the real 01:30/02:00/02:30 jobs do not. The hazard
// jobs run too: the alert check judges the hazard rules only on fresh hazards and inspections.
var compressedDay = map[string]string{
	"enterprises":  "*/3 * * * * *",
	"certificates": "1/3 * * * * *",
	"alarms":       "*/2 * * * * *",
	"hazards":      "1/2 * * * * *",
	"inspections":  "*/4 * * * * *",
	"employments":  "2/3 * * * * *",
	"alerts":       "*/3 * * * * *",
}

// webhookReceiver is the street office's alert endpoint: it counts deliveries per alert key and
// status, and keeps every payload for the secret scans.
type webhookReceiver struct {
	srv      *httptest.Server
	mu       sync.Mutex
	counts   map[string]int // "key/status" → deliveries
	messages int
	bodies   []string
	paths    []string
	bad      []string // problems with a delivery
}

type webhookMessage struct {
	Status    string `json:"status"`
	Community string `json:"community"`
	Alerts    []struct {
		Key    string `json:"key"`
		Rule   string `json:"rule"`
		Status string `json:"status"`
	} `json:"alerts"`
}

func startWebhook(t testing.TB) *webhookReceiver {
	t.Helper()
	w := &webhookReceiver{counts: map[string]int{}}
	w.srv = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
		w.mu.Lock()
		defer w.mu.Unlock()
		w.bodies = append(w.bodies, string(body))
		w.paths = append(w.paths, r.URL.String())
		var m webhookMessage
		if err != nil || r.Method != http.MethodPost || json.Unmarshal(body, &m) != nil {
			w.bad = append(w.bad, fmt.Sprintf("%s %s: %v %s", r.Method, r.URL.Path, err, clip(string(body), 200)))
			rw.WriteHeader(http.StatusBadRequest)
			return
		}
		w.messages++
		for _, a := range m.Alerts {
			w.counts[a.Key+"/"+a.Status]++
		}
		rw.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(w.srv.Close)
	return w
}

// url is the receiver's URL with the robot key in it, as chat robots' URLs carry theirs.
func (w *webhookReceiver) url(key string) string { return w.srv.URL + "/hook/" + key + "?token=" + key }

func (w *webhookReceiver) snapshot() (map[string]int, int, []string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	c := make(map[string]int, len(w.counts))
	for k, v := range w.counts {
		c[k] = v
	}
	return c, w.messages, append([]string(nil), w.bad...)
}

func (w *webhookReceiver) addTo(tr *transcript) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i, b := range w.bodies {
		tr.addText("webhook POST "+w.paths[i], b)
	}
}

func scheduleYAML(spec map[string]string) string {
	var b strings.Builder
	b.WriteString("schedule:\n  timezone: Asia/Shanghai\n")
	for _, job := range []string{"enterprises", "certificates", "alarms", "hazards", "inspections", "employments", "alerts"} {
		s, ok := spec[job]
		if !ok {
			s = "-" // a job the map does not name is off (the hazard jobs, unless a test asks)
		}
		fmt.Fprintf(&b, "  %s: %q\n", job, s)
	}
	return b.String()
}

const webhookAlertsYAML = `alerts:
  expiringWithinDays: 60
  repeatInterval: 168h
  escalateAfter: 72h
  channels:
    - type: webhook
      name: 安办
      url: ${ALERT_WEBHOOK_URL}
      escalations: true
`

// TestThreeInstancesOneDay runs three `streetsync run` daemons on one Redis and one PostgreSQL
// for a compressed day, with platform errors, a workbook import and certificate changes in the
// middle, then stops them with SIGTERM and checks that each tick of each job ran once, that every
// platform write happened once, and that each alert was delivered once per status.
func TestThreeInstancesOneDay(t *testing.T) {
	t.Parallel()
	day := 24 * time.Second
	if long() {
		day = 90 * time.Second
	}
	if testing.Short() {
		day = 12 * time.Second
	}
	sec := newSecrets(t)
	hook := startWebhook(t)
	sec.webhookURL = hook.url(sec.WebhookToken)
	p := startPlatforms(t, sec, platformOptions{Seed: 23, Enterprises: 40, BadRecords: 4, Unlimited: true})
	dsn := testutil.Postgres(t)
	in := newInstallation(t, p, sec, installOptions{Driver: "postgres", DSN: dsn, Timeout: 2 * time.Second,
		Extra: scheduleYAML(compressedDay) + webhookAlertsYAML})

	// The reference: what one clean pass writes to the platforms, counted on a twin installation.
	want, wantEmployments := referenceWrites(t, sec)

	in.json(exitOK, time.Minute, nil, "import", in.workbook())
	// No drop-after faults: a write whose answer was lost is legitimately repeated, and this
	// test counts repeated writes.
	p.SetFaults(fault.Faults{InternalError: 0.05, GatewayError: 0.05, ItemStoreFailure: 0.1, RevokeTokenEvery: 25})

	startAt := time.Now()
	daemons := make([]*process, 3)
	for i := range daemons {
		daemons[i] = in.start("run", "--stop-grace", "20s")
	}
	for _, d := range daemons {
		d.consoleAddr(t, 30*time.Second)
	}
	// Mid-day: the office imports an edited workbook; the province revokes one valid certificate
	// and renews an expired one.
	time.Sleep(day / 3)
	edited, _ := in.editedWorkbook()
	in.json(exitOK, time.Minute, nil, "import", edited)
	revoked, renewed := changeCertificates(t, p)
	time.Sleep(day - day/3)
	// The platforms calm down for the last stretch so that the retry queue empties.
	p.SetFaults(fault.Faults{})
	time.Sleep(6 * time.Second)
	stopAt := time.Now()
	for i, d := range daemons {
		if code := d.signal(t, syscall.SIGTERM, 60*time.Second); code != exitOK {
			t.Errorf("daemon %d: exit %d after SIGTERM, want 0\nstderr:\n%s", i, code, tail(d.stderr.String(), 3000))
		}
	}
	hook.addTo(in.transcript)

	ticks, runs := checkEachTickOnce(t, in, startAt, stopAt)
	in.json(exitOK, 2*time.Minute, nil, "queue", "drain", "--timeout", "30s")
	got := countWrites(p)
	for _, k := range sortedKeys(want) {
		if got[k] != want[k] {
			t.Errorf("%s: %d successful writes in the day of three instances, want %d (one clean pass)", k, got[k], want[k])
		}
	}
	if d := diffMaps("employment registration", employmentsOf(p), wantEmployments, 10); len(d) > 0 {
		t.Errorf("the registrations differ from one clean pass's:\n%s", maskIDsIn(strings.Join(d, "\n")))
	}
	for uscc, n := range creates(p) {
		if n > 1 {
			t.Errorf("enterprise %s created %d times", uscc, n)
		}
	}
	deliveries := checkAlertsOnce(t, in, hook, revoked, renewed)
	t.Logf("three instances, %s day: ticks checked per job %v; runs by outcome@instance %v; platform writes %v (one clean pass: %v); webhook %s",
		day, ticks, runs, got, want, deliveries)
}

// referenceWrites runs import, sync all, drain, edited import and certificate changes, sync all,
// drain once on a twin installation (same seed, no faults) and counts the platform writes that
// succeeded.
func referenceWrites(t *testing.T, sec secrets) (map[string]int, map[string]string) {
	t.Helper()
	p := startPlatforms(t, sec, platformOptions{Seed: 23, Enterprises: 40, BadRecords: 4, Unlimited: true})
	in := newInstallation(t, p, sec, installOptions{})
	in.json(exitOK, time.Minute, nil, "import", in.workbook())
	in.json(exitOK, time.Minute, nil, "sync", "all")
	in.json(exitOK, time.Minute, nil, "queue", "drain", "--timeout", "30s")
	edited, _ := in.editedWorkbook()
	in.json(exitOK, time.Minute, nil, "import", edited)
	changeCertificates(t, p)
	in.json(exitOK, time.Minute, nil, "sync", "all")
	in.json(exitOK, time.Minute, nil, "queue", "drain", "--timeout", "30s")
	return countWrites(p), employmentsOf(p)
}

// employmentsOf is the registrations a platform holds, without their update stamps.
func employmentsOf(p *platformSet) map[string]string {
	out := map[string]string{}
	for _, e := range p.TZ.Employments() {
		e.UpdatedAt = ""
		b, _ := json.Marshal(e)
		out[e.CertNo+"/"+e.ItemCode+"/"+e.EnterpriseUSCC] = string(b)
	}
	return out
}

// maskIDsIn masks every 18-character ID-like run in a failure message.
func maskIDsIn(s string) string {
	b := []byte(s)
	for i := 0; i+18 <= len(b); i++ {
		j := i
		for j < len(b) && idChar(b[j]) {
			j++
		}
		if j-i == 18 {
			copy(b[i+6:i+14], "********")
		}
		if j > i {
			i = j
		}
	}
	return string(b)
}

// countWrites counts the writes the platforms accepted: batchSave items by result, employment
// registrations by status, alarm feedback.
func countWrites(p *platformSet) map[string]int {
	out := map[string]int{}
	seen := map[string]bool{}
	for _, e := range p.QZ.Enterprises() {
		seen[e.Tyshxydm] = true
	}
	for _, e := range p.DS.Ledger {
		seen[e.USCC] = true
	}
	for uscc := range seen {
		for _, push := range p.QZ.Pushes(uscc) {
			if push.Result != "FAILED" {
				out["batchSave "+push.Result]++
			}
		}
	}
	for k, n := range p.TZ.Requests() {
		if k.Endpoint == "PUT /api/v2/employments" && k.Status >= 200 && k.Status < 300 {
			out[fmt.Sprintf("employment PUT %d", k.Status)] += n
		}
	}
	return out
}

func creates(p *platformSet) map[string]int {
	out := map[string]int{}
	for _, e := range p.DS.Ledger {
		if n := p.QZ.Creates(e.USCC); n > 0 {
			out[e.USCC] = n
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// changeCertificates revokes the certificate of one roster entry whose certificate is valid and
// renews the expired one of another; it returns their ID numbers.
func changeCertificates(t *testing.T, p *platformSet) (revoked, renewed string) {
	t.Helper()
	ref := p.DS.Params.Reference
	var valid, expired *dataset.Operator
	for i := range p.DS.Roster {
		op := &p.DS.Roster[i]
		switch {
		case valid == nil && op.Situation == dataset.SitValid:
			valid = op
		case expired == nil && op.Situation == dataset.SitExpiredStatus:
			expired = op
		}
	}
	if valid == nil || expired == nil {
		t.Fatal("the dataset lacks a valid or an expired roster entry")
	}
	for _, c := range p.DS.Certificates {
		switch {
		case c.IDNumber == valid.IDNumber && c.ItemCode == valid.ItemCode:
			updateCertificate(t, p, c, func(x *specialops.Certificate) { x.Status = "REVOKED" })
		case strings.EqualFold(c.IDNumber, expired.IDNumber) && c.ItemCode == expired.ItemCode:
			updateCertificate(t, p, c, func(x *specialops.Certificate) {
				x.Status = "VALID"
				x.ValidFrom = ref.String()
				x.ValidUntil = ref.AddYears(6).String()
				x.ReviewDueDate = ref.AddYears(3).String()
			})
		}
	}
	return valid.IDNumber, expired.IDNumber
}

func updateCertificate(t *testing.T, p *platformSet, c dataset.Certificate, change func(*specialops.Certificate)) {
	t.Helper()
	ok, err := p.TZ.UpdateCertificate(c.CertNo, c.ItemCode, change)
	if !ok || err != nil {
		t.Fatalf("update certificate %s/%s: %v, %v", c.CertNo, c.ItemCode, ok, err)
	}
}

// checkEachTickOnce reads every job's run history from the ledger: each tick between the first
// start and the stop has exactly one run (executed, or skipped), and no tick has two executed
// runs. It returns the ticks checked per job and the runs per outcome and instance.
func checkEachTickOnce(t *testing.T, in *installation, from, to time.Time) (map[string]int, map[string]int) {
	t.Helper()
	history := in.runHistory()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	parser := cron.NewParser(cron.Second | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow)
	counts, runs := map[string]int{}, map[string]int{}
	for job, spec := range compressedDay {
		bySlot := map[int64][]ledger.JobRun{}
		for _, run := range history {
			if run.Job != job || run.Trigger == string(scheduler.TriggerManual) {
				continue
			}
			bySlot[run.Slot.Unix()] = append(bySlot[run.Slot.Unix()], run)
			runs[run.Outcome+"@"+run.Instance]++
		}
		for slot, runs := range bySlot {
			executed := 0
			for _, r := range runs {
				if r.Outcome != string(scheduler.OutcomeSkipped) {
					executed++
				}
			}
			at := time.Unix(slot, 0).In(loc).Format("15:04:05")
			switch {
			case executed > 1:
				t.Errorf("%s: tick %s executed %d times: %+v", job, at, executed, runs)
			case len(runs) > 1:
				// Allowed, and decided so: a tick has one scheduled claim and one catch-up claim
				// (scheduler.slotName names them apart), so that a tick whose taker ended without
				// success — or was skipped because the job's previous run still held its lock —
				// gets one more attempt from an instance that starts or catches up. At most one of
				// them executes (checked above); the other is a truthful 已跳过 record. More than
				// two claims, or a second claim that is not a catch-up, would be a tick taken twice.
				later := runs[0]
				for _, r := range runs[1:] {
					if r.Start.After(later.Start) {
						later = r
					}
				}
				if len(runs) > 2 || later.Trigger != string(scheduler.TriggerCatchUp) {
					t.Errorf("%s: tick %s claimed %d times, the later not by a catch-up: %s", job, at, len(runs), triggers(runs))
				}
				t.Logf("%s: tick %s claimed %d times (%s), executed %d times", job, at, len(runs), triggers(runs), executed)
			}
		}
		sched, err := parser.Parse(spec)
		if err != nil {
			t.Fatal(err)
		}
		// Ticks well inside the day: the first seconds after the daemons started, and the last
		// before the stop, may legitimately belong to no one.
		for tick := sched.Next(from.In(loc).Add(3 * time.Second)); tick.Before(to.Add(-2 * time.Second)); tick = sched.Next(tick) {
			if len(bySlot[tick.Unix()]) == 0 {
				t.Errorf("%s: tick %s has no run", job, tick.Format("15:04:05"))
			}
			counts[job]++
		}
	}
	return counts, runs
}

// checkAlertsOnce: every (alert, status) reached the webhook at most once; every alert firing at
// the end was delivered firing exactly once; the revoked certificate's alert was delivered
// firing and the renewed one's resolved.
func checkAlertsOnce(t *testing.T, in *installation, hook *webhookReceiver, revoked, renewed string) string {
	t.Helper()
	counts, messages, bad := hook.snapshot()
	for _, b := range bad {
		t.Errorf("webhook: malformed delivery %s", b)
	}
	firing, resolved := 0, 0
	for k, n := range counts {
		if n > 1 {
			t.Errorf("alert %s delivered %d times, want once", k, n)
		}
		if strings.HasSuffix(k, "/firing") {
			firing++
		} else {
			resolved++
		}
	}
	var now struct {
		Firing []struct {
			Key      string `json:"key"`
			Rule     string `json:"rule"`
			Operator struct {
				IDNumber string `json:"idNumber"`
			} `json:"operator"`
		} `json:"firing"`
	}
	in.json(exitOK, time.Minute, &now, "alerts", "check", "--dry-run")
	revokedFires := false
	for _, a := range now.Firing {
		if counts[a.Key+"/firing"] != 1 {
			t.Errorf("alert %s (%s) fires but was delivered %d times, want once", a.Key, a.Rule, counts[a.Key+"/firing"])
		}
		if a.Rule == "CERT_INVALID" && a.Operator.IDNumber == maskID(revoked) {
			revokedFires = true
		}
	}
	if !revokedFires {
		t.Errorf("no CERT_INVALID alert fires for the revoked certificate of %s", maskID(revoked))
	}
	if resolved == 0 {
		t.Errorf("no resolved alert was delivered, though the certificate of %s was renewed", maskID(renewed))
	}
	return fmt.Sprintf("%d messages, %d firing and %d resolved alerts, each once", messages, firing, resolved)
}

func triggers(runs []ledger.JobRun) string {
	var parts []string
	for _, r := range runs {
		parts = append(parts, r.Trigger+"/"+r.Outcome+"@"+r.Instance)
	}
	return strings.Join(parts, ", ")
}

// maskID masks an ID number as the contract does: first 6 and last 4 kept.
func maskID(id string) string {
	if len(id) != 18 {
		return id
	}
	return id[:6] + "********" + id[14:]
}

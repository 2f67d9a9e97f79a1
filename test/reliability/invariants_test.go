package reliability

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"streetsync/internal/config"
	"streetsync/internal/ledger"
	"streetsync/mocks/dataset"
)

// queueStats is `queue stats|drain --format json`.
type queueStats struct {
	Pending   int `json:"pending"`
	Scheduled int `json:"scheduled"`
	Dead      int `json:"dead"`
}

// syncSummary is one element of `sync all --format json`.
type syncSummary struct {
	Job         string `json:"job"`
	Pulled      int    `json:"pulled"`
	Pushed      int    `json:"pushed"`
	Unchanged   int    `json:"unchanged"`
	Drifted     int    `json:"drifted"`
	Quarantined int    `json:"quarantined"`
	Queued      int    `json:"queued"`
	DurationMs  int64  `json:"durationMs"`
}

// reconcileReport is the part of `reconcile --format json` the invariants read.
type reconcileReport struct {
	Enterprises struct {
		OnlyInLedger   []struct{ USCC string } `json:"onlyInLedger"`
		OnlyOnPlatform []struct {
			USCC     string `json:"uscc"`
			InLedger bool   `json:"inLedger"`
		} `json:"onlyOnPlatform"`
		Different []struct {
			USCC   string            `json:"uscc"`
			Fields []json.RawMessage `json:"fields"`
		} `json:"different"`
	} `json:"enterprises"`
	Operators struct {
		Unregistered []json.RawMessage `json:"unregistered"`
		Uncertified  int               `json:"uncertified"`
		UnknownItems []json.RawMessage `json:"unknownItems"`
	} `json:"operators"`
}

// state is everything an end state is judged by, as comparable text per key: the platforms'
// records (what was pushed), the ledger's records (what was pulled), the quarantine, the queue.
// Volatile values — platform ids assigned in arrival order, update stamps, sync timestamps — are
// left out: a run with faults must end where a run without them ends, not at the same instant.
type state struct {
	PlatformEnterprises map[string]string
	Creates             map[string]int
	Employments         map[string]string
	Feedback            map[string]string
	LedgerEnterprises   map[string]string
	LedgerOperators     map[string]string
	Certificates        map[string]string
	Alarms              map[string]string
	Quarantine          map[string]string
	Queue               queueStats
	Dead                string
}

// capture reads the end state of an installation. No command may be running.
func capture(t testing.TB, in *installation) *state {
	t.Helper()
	s := &state{
		PlatformEnterprises: map[string]string{}, Creates: map[string]int{}, Employments: map[string]string{},
		Feedback: map[string]string{}, LedgerEnterprises: map[string]string{}, LedgerOperators: map[string]string{},
		Certificates: map[string]string{}, Alarms: map[string]string{}, Quarantine: map[string]string{},
	}
	for _, e := range in.p.QZ.Enterprises() {
		e.Qyid, e.Gxsj = "", ""
		s.PlatformEnterprises[e.Tyshxydm] = mustJSON(t, e)
		if n := in.p.QZ.Creates(e.Tyshxydm); n > 0 {
			s.Creates[e.Tyshxydm] = n
		}
	}
	for _, e := range in.p.TZ.Employments() {
		e.UpdatedAt = ""
		s.Employments[e.CertNo+"/"+e.ItemCode+"/"+e.EnterpriseUSCC] = mustJSON(t, e)
	}
	for _, a := range in.p.QZ.Alarms() {
		if fb := in.p.QZ.Feedback(a.Bjid); len(fb) > 0 {
			s.Feedback[a.Bjid] = mustJSON(t, fb)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	store, err := ledger.Open(ctx, config.Ledger{Driver: in.driver, DSN: config.Secret(in.dsn)})
	if err != nil {
		t.Fatalf("open the ledger: %v", err)
	}
	defer store.Close()
	for e, err := range store.Enterprises(ctx, ledger.EnterpriseFilter{}) {
		if err != nil {
			t.Fatal(err)
		}
		e.PlatformID, e.UpdatedAt = "", time.Time{}
		e.AcceptedAt, e.PlatformViewAt, e.CreatedAt, e.ModifiedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
		if e.Platform != nil {
			p := *e.Platform
			p.PlatformID, p.UpdatedAt = "", time.Time{}
			e.Platform = &p
		}
		s.LedgerEnterprises[e.USCC] = mustJSON(t, e)
	}
	for o, err := range store.Operators(ctx, ledger.OperatorFilter{}) {
		if err != nil {
			t.Fatal(err)
		}
		s.LedgerOperators[o.IDNumber+"/"+o.EnterpriseUSCC+"/"+o.ItemCode] = mustJSON(t, o.Operator)
	}
	for c, err := range store.Certificates(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		s.Certificates[c.CertNo+"/"+c.ItemCode] = mustJSON(t, c)
	}
	for a, err := range store.Alarms(ctx, ledger.AlarmFilter{}) {
		if err != nil {
			t.Fatal(err)
		}
		a.UpdatedAt = time.Time{}
		s.Alarms[a.ID] = mustJSON(t, a)
	}
	for q, err := range store.QuarantineEntries(ctx, ledger.QuarantineFilter{}) {
		if err != nil {
			t.Fatal(err)
		}
		s.Quarantine[string(q.Source)+"/"+string(q.Kind)+"/"+q.Key] = reasonText(q)
	}
	in.json(exitOK, time.Minute, &s.Queue, "queue", "stats")
	if s.Queue.Dead > 0 {
		s.Dead = in.must(exitOK, time.Minute, "queue", "list", "--dead").stdout
	}
	return s
}

func reasonText(q ledger.QuarantineEntry) string {
	var parts []string
	for _, p := range q.Reasons {
		parts = append(parts, p.Label+"："+p.Reason)
	}
	return strings.Join(parts, "；")
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// diffMaps lists how got differs from want, at most max lines.
func diffMaps[V comparable](name string, got, want map[string]V, max int) []string {
	var out []string
	keys := map[string]bool{}
	for k := range got {
		keys[k] = true
	}
	for k := range want {
		keys[k] = true
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	for _, k := range sorted {
		g, gok := got[k]
		w, wok := want[k]
		switch {
		case gok && !wok:
			out = append(out, fmt.Sprintf("%s[%s]: got %v, want nothing", name, k, g))
		case !gok && wok:
			out = append(out, fmt.Sprintf("%s[%s]: got nothing, want %v", name, k, w))
		case g != w:
			out = append(out, fmt.Sprintf("%s[%s]:\n   got %v\n  want %v", name, k, g, w))
		}
	}
	if len(out) > max {
		out = append(out[:max], fmt.Sprintf("… and %d more", len(out)-max))
	}
	return out
}

// sameEndState reports every way got's end state differs from want's (the fault-free run's).
func sameEndState(got, want *state) []string {
	const max = 8
	var d []string
	d = append(d, diffMaps("platform enterprise", got.PlatformEnterprises, want.PlatformEnterprises, max)...)
	d = append(d, diffMaps("platform creates", got.Creates, want.Creates, max)...)
	d = append(d, diffMaps("employment registration", got.Employments, want.Employments, max)...)
	d = append(d, diffMaps("alarm feedback", got.Feedback, want.Feedback, max)...)
	d = append(d, diffMaps("ledger enterprise", got.LedgerEnterprises, want.LedgerEnterprises, max)...)
	d = append(d, diffMaps("ledger roster entry", got.LedgerOperators, want.LedgerOperators, max)...)
	d = append(d, diffMaps("ledger certificate", got.Certificates, want.Certificates, max)...)
	d = append(d, diffMaps("ledger alarm", got.Alarms, want.Alarms, max)...)
	d = append(d, diffMaps("quarantine", got.Quarantine, want.Quarantine, max)...)
	return d
}

// checkInvariants checks what must hold at the end of any run, faults or none, once the
// platforms answer again and the queue is drained:
//   - the queue is empty, with nothing dead (every fault the mocks inject is transient: an
//     item that died could have succeeded);
//   - no enterprise was created twice on the platform;
//   - ledger and platform agree: reconcile finds nothing only in the ledger, no field
//     difference and no missing employment registration;
//   - quarantine holds exactly the workbook's deliberately bad rows, each with a reason, and
//     nothing from the sync (the generated data has no record a platform refuses for good).
func checkInvariants(t testing.TB, in *installation, s *state) {
	t.Helper()
	if s.Queue != (queueStats{}) {
		t.Errorf("queue after drain: got %+v, want all zero\n%s", s.Queue, clip(s.Dead, 3000))
	}
	for uscc, n := range s.Creates {
		if n > 1 {
			t.Errorf("enterprise %s created %d times on the platform, want once", uscc, n)
		}
	}
	var rep reconcileReport
	in.json(exitOK, time.Minute, &rep, "reconcile", "all")
	if n := len(rep.Enterprises.OnlyInLedger); n > 0 {
		t.Errorf("reconcile: %d enterprises only in the ledger after drain, want 0: %+v", n, rep.Enterprises.OnlyInLedger)
	}
	if n := len(rep.Enterprises.Different); n > 0 {
		t.Errorf("reconcile: %d enterprises differ after drain, want 0: %+v", n, rep.Enterprises.Different)
	}
	if n := len(rep.Operators.Unregistered); n > 0 {
		t.Errorf("reconcile: %d roster entries unregistered after drain, want 0", n)
	}
	checkQuarantine(t, in.p.DS, s)
}

// checkQuarantine: the open quarantine entries are exactly the dataset's bad rows (source
// workbook), each with a reason.
func checkQuarantine(t testing.TB, ds *dataset.Dataset, s *state) {
	t.Helper()
	var workbook []string
	for k, reason := range s.Quarantine {
		if !strings.HasPrefix(k, string(ledger.SourceWorkbook)+"/") {
			t.Errorf("quarantine holds %s (%s): the generated data has no record a platform refuses for good", k, reason)
			continue
		}
		if reason == "" {
			t.Errorf("quarantine entry %s has no reason", k)
		}
		workbook = append(workbook, k)
	}
	if len(workbook) != len(ds.Bad) {
		sort.Strings(workbook)
		t.Errorf("quarantine holds %d workbook rows, want the %d deliberately bad ones %+v:\n%s", len(workbook), len(ds.Bad),
			ds.Bad, strings.Join(workbook, "\n"))
	}
}

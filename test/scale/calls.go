package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"streetsync/mapping"
	"streetsync/mocks"
	"streetsync/mocks/dataset"
	"streetsync/mocks/quanzhou"
	"streetsync/mocks/specialops"
)

// The platforms' real rate limits (contracts/quanzhou-platform.md, contracts/special-ops.md):
// the scale tool lifts them to time streetsync, and counts the calls to say how long a night
// takes under them.
const (
	quanzhouPerSecond   = 20.0
	specialOpsPerSecond = 10.0
)

// The contracts' batch sizes, from which the fewest calls a sync can make follow.
const (
	pageMax      = 500 // Quanzhou listings (enterprises, alarms, hazards, inspections), the certificate feed
	batchSaveMax = 100 // Quanzhou batchSave
	queryMax     = 50  // ID numbers per certificate query
)

// calls counts the requests each platform answered, by endpoint ("qz GET /enterprises" …).
type calls map[string]int

func countCalls(srv *mocks.Server) calls {
	out := calls{}
	for k, v := range srv.Quanzhou.Requests() {
		out["qz "+k.Endpoint] += v
	}
	for k, v := range srv.SpecialOps.Requests() {
		out["so "+k.Endpoint] += v
	}
	return out
}

// since returns the calls made after before.
func (c calls) since(before calls) calls {
	out := calls{}
	for k, v := range c {
		if d := v - before[k]; d > 0 {
			out[k] = d
		}
	}
	return out
}

// platforms sums the calls per platform.
func (c calls) platforms() (qz, so int) {
	for k, v := range c {
		if strings.HasPrefix(k, "qz ") {
			qz += v
		} else {
			so += v
		}
	}
	return qz, so
}

// atLimits is how long the calls take at the platforms' rate limits, the jobs of a sync running
// one after the other as `sync all` runs them.
func atLimits(qz, so int) time.Duration {
	return time.Duration((float64(qz)/quanzhouPerSecond + float64(so)/specialOpsPerSecond) * float64(time.Second))
}

// fewestCalls is the fewest calls the contracts allow for what a `sync all` reported doing: a
// token per platform; per listing, one page per 500 records read and at least one to learn that
// nothing changed, the records read being those pulled or, when more, those the listing must read
// from its mark (reread, below); one batchSave per 100 enterprises pushed; one PUT per
// registration made or changed (queued ones count: they are due); and for certificates, on the
// first load one query per 50 of the roster's people (ids) and the feed's first page, on a later
// night one feed page per 500 changed certificates (at least one).
func fewestCalls(stdout []byte, firstLoad bool, ids int, reread map[string]int) (qz, so int) {
	var sums []struct {
		Job                    string
		Pulled, Pushed, Queued int
	}
	if json.Unmarshal(stdout, &sums) != nil {
		return 0, 0
	}
	pages := func(n int) int { return max(1, int(math.Ceil(float64(n)/pageMax))) }
	qz, so = 1, 1 // the tokens
	for _, s := range sums {
		switch s.Job {
		case "enterprises":
			qz += pages(max(s.Pulled, reread[s.Job])) + int(math.Ceil(float64(s.Pushed+s.Queued)/batchSaveMax))
		case "alarms", "hazards", "inspections":
			qz += pages(max(s.Pulled, reread[s.Job]))
		case "certificates":
			if firstLoad {
				so += int(math.Ceil(float64(ids)/queryMax)) + 1
			} else {
				so += pages(s.Pulled)
			}
		case "employments":
			so += s.Pushed + s.Queued
		}
	}
	return qz, so
}

// marks holds, per Quanzhou listing (by its sync job's name), the latest gxsj among the
// platform's records when a sync ended — the furthest mark any client can hold after it — and
// when that was.
//
// Every listing's gxsjStart is inclusive and gxsj has one-second resolution
// (contracts/quanzhou-platform.md, contracts/hazards.md), so a record written later in that
// second carries the same gxsj as the ones already read. Until the platform's clock is past that
// second — which a client knows for certain only 301 s on (the contract's 300 s timestamp window)
// — a client that guarantees no update is missed must read that second's records again, changed
// or not; the contracts allow no way past them. A night's fewest calls count them then. Once the
// second is over, a client that kept the last record it read there may skip up to it.
type marks struct {
	at    map[string]string
	ended time.Time
}

// listingMarks reads the marks off the platform as it stands at now (the platform's clock).
func listingMarks(srv *mocks.Server, now time.Time) marks {
	m := marks{at: map[string]string{}, ended: now}
	for job, times := range listingTimes(srv) {
		for _, t := range times {
			m.at[job] = max(m.at[job], t)
		}
	}
	return m
}

// reread counts, per listing, the records a listing read from the mark must read: those at the
// mark's second, when that second was not certainly over as the last sync ended, and those after
// it (changed since, or new).
func (m marks) reread(srv *mocks.Server) map[string]int {
	out := map[string]int{}
	for job, times := range listingTimes(srv) {
		if m.at[job] == "" {
			out[job] = len(times) // no mark: a walk from the beginning reads everything
			continue
		}
		at, err := mapping.ParseBeijingTime(m.at[job])
		if err != nil {
			continue
		}
		running := at.Add(time.Second + 300*time.Second).After(m.ended)
		for _, t := range times {
			if t > m.at[job] || t == m.at[job] && running {
				out[job]++
			}
		}
	}
	return out
}

// listingTimes is the gxsj of every record of each Quanzhou listing.
func listingTimes(srv *mocks.Server) map[string][]string {
	q := srv.Quanzhou
	out := map[string][]string{}
	for _, e := range q.Enterprises() {
		out["enterprises"] = append(out["enterprises"], e.Gxsj)
	}
	for _, a := range q.Alarms() {
		out["alarms"] = append(out["alarms"], a.Gxsj)
	}
	for _, h := range q.Hazards() {
		out["hazards"] = append(out["hazards"], h.Gxsj)
	}
	for _, in := range q.Inspections() {
		out["inspections"] = append(out["inspections"], in.Gxsj)
	}
	return out
}

// changeOnePercent changes 1 % of the street's enterprises and roster entries in the workbook
// (a principal's phone; a 离岗日期 a month ahead, which changes the registration) and 1 % of the
// platform's enterprises (their standardization grade) and of the province's certificates (the
// issuer's name): what a steady night finds changed. It writes the changed workbook and returns
// its path.
func changeOnePercent(ds *dataset.Dataset, srv *mocks.Server, dir string) (string, error) {
	day := dataset.DayOf(time.Now())
	for i := 0; i < len(ds.Ledger); i += 100 {
		ds.Ledger[i].Phone = fmt.Sprintf("139%08d", i)
	}
	for i := 0; i < len(ds.Roster); i += 100 {
		if ds.Roster[i].EndDate.IsZero() {
			ds.Roster[i].EndDate = day.AddDays(30)
		}
	}
	for i, e := range srv.Quanzhou.Enterprises() {
		if i%100 == 0 {
			srv.Quanzhou.EditEnterprise(e.Tyshxydm, func(x *quanzhou.Enterprise) {
				x.Bzhdj = map[bool]string{true: "2", false: "3"}[x.Bzhdj == "3"]
			})
		}
	}
	for i, c := range srv.SpecialOps.Certificates() {
		if i%100 == 0 {
			if _, err := srv.SpecialOps.UpdateCertificate(c.CertNo, c.ItemCode, func(x *specialops.Certificate) {
				x.Issuer += "（换发）"
			}); err != nil {
				return "", err
			}
		}
	}
	path := filepath.Join(dir, "企业台账-1pct.xlsx")
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	if err := ds.WriteWorkbook(f); err != nil {
		f.Close()
		return "", err
	}
	return path, f.Close()
}

// distinctIDs counts the roster's people.
func distinctIDs(ds *dataset.Dataset) int {
	ids := make([]string, len(ds.Roster))
	for i, o := range ds.Roster {
		ids[i] = o.IDNumber
	}
	slices.Sort(ids)
	return len(slices.Compact(ids))
}

// printCalls prints, for each sync step measured, the calls made per platform, the fewest the
// contracts allow for the same work, and how long the calls take at the real rate limits; then
// the calls by endpoint.
func printCalls(w io.Writer, ms []measurement) {
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "N\tstep\tQuanzhou calls\tfewest\tspecial-ops calls\tfewest\tratio\tat 20/s + 10/s\t")
	for _, m := range ms {
		if m.calls == nil {
			continue
		}
		qz, so := m.calls.platforms()
		ratio := "-"
		if m.fewestQZ+m.fewestSO > 0 {
			ratio = fmt.Sprintf("%.2f", float64(qz+so)/float64(m.fewestQZ+m.fewestSO))
		}
		fmt.Fprintf(tw, "%d\t%s\t%d\t%d\t%d\t%d\t%s\t%s\t\n", m.n, m.step, qz, m.fewestQZ, so, m.fewestSO, ratio,
			atLimits(qz, so).Round(time.Second))
	}
	tw.Flush()
	for _, m := range ms {
		if m.calls == nil {
			continue
		}
		line := countsLine(m.calls)
		if len(m.reread) > 0 {
			line += "; records from the last sync's mark: " + countsLine(m.reread)
		}
		fmt.Fprintf(w, "N=%d %s: %s\n", m.n, m.step, line)
	}
}

// countsLine lists counts by name, in name order: "a 1, b 2".
func countsLine[M ~map[string]int](counts M) string {
	names := slices.Sorted(maps.Keys(counts))
	parts := make([]string, len(names))
	for i, k := range names {
		parts[i] = fmt.Sprintf("%s %d", k, counts[k])
	}
	return strings.Join(parts, ", ")
}

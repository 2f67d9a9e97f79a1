package ledger

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"streetsync/internal/config"
)

// Each query an alert check runs over a city's alerts reads through the index meant for it
// (SQLite, whose planner has no statistics to go by): a query that falls back to another index
// reads every alert, and the check's cost grows with the square of the alerts, not with them.
// The console's free-text searches, which can seek nothing, scan narrow indexes, not the rows.
func TestAlertCheckQueriesUseTheirIndexes(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, config.Ledger{Driver: "sqlite", DSN: config.Secret(filepath.Join(t.TempDir(), "ledger.db"))})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s := st.(*sqlStore)
	candidates, candidateArgs := deliveryCandidatesSQL(DeliveryScope{Channel: "安办", Community: "林口社区",
		Families: []string{"certificate", "alarm", "system"}, RepeatBefore: time.Now()})
	search := AlertQuery{Text: "庄英金", Status: "firing"}
	searchWhere, searchArgs, err := alertQueryWhere(search)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		query string
		args  []any
		want  []string // in the plan's lines, in order
	}{
		{"the enterprises a roster search names", enterprisesNamedLike, []any{"%鞋业%"},
			[]string{"SCAN enterprises USING COVERING INDEX enterprises_name"}},
		{"a search's count", `SELECT COUNT(*)` + alertFrom(search, "sqlite", -1) + whereClause(searchWhere), searchArgs,
			[]string{"SCAN a USING INDEX alerts_search"}},
		{"a search's few alerts", `SELECT ` + alertCols + alertFrom(search, "sqlite", 12) + whereClause(searchWhere) +
			` ORDER BY a.status || '', a.severity_rank, a.since, a.alert_key LIMIT 50`, searchArgs,
			[]string{"SCAN a USING INDEX alerts_search", "USE TEMP B-TREE FOR ORDER BY"}},
		{"a search's many alerts", `SELECT ` + alertCols + alertFrom(search, "sqlite", sortFewAlerts+1) + whereClause(searchWhere) +
			` ORDER BY a.status, a.severity_rank, a.since, a.alert_key LIMIT 50`, searchArgs,
			[]string{"SEARCH a USING INDEX alerts_listing (status=?)"}},
		{"a community's delivery candidates", candidates, candidateArgs, []string{
			"SEARCH a USING INDEX alerts_open (is_open=? AND community=?)",
			"SEARCH d USING INDEX sqlite_autoindex_alert_deliveries_1 (alert_key=? AND channel=?)"}},
		{"the resolved alerts still open", openResolvedSQL, []any{"", 10}, []string{
			"SEARCH alerts USING INDEX alerts_owed (is_open=? AND status=? AND alert_key>?)"}},
		{"the closed alerts to forget", `DELETE FROM alerts WHERE ` + closedBefore, []any{1}, []string{
			"SEARCH alerts USING INDEX alerts_closed (is_open=? AND status=? AND resolved_at<?)"}},
		{"the counts", alertCountsSQL, nil, []string{"SCAN alerts USING COVERING INDEX alerts_family"}},
		{"a family's firing alerts, counted", firingCountSQL, []any{"certificate"}, []string{
			"SEARCH alerts USING COVERING INDEX alerts_family (family=? AND status=?)"}},
		{"the states of a batch", `SELECT ` + alertStateCols + ` FROM alerts WHERE alert_key IN (?, ?)`, []any{"a", "b"},
			[]string{"SEARCH alerts USING INDEX sqlite_autoindex_alerts_1 (alert_key=?)"}},
	}
	for _, tc := range tests {
		rows, err := s.r.QueryContext(ctx, `EXPLAIN QUERY PLAN `+tc.query, tc.args...)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		got := strings.Join(plan, "\n")
		rest := got
		for _, w := range tc.want {
			i := strings.Index(rest, w)
			if i < 0 {
				t.Errorf("%s: plan\n%s\nwant a line %q", tc.name, got, w)
				break
			}
			rest = rest[i+len(w):]
		}
	}
}

// A message's alerts are in deliveryOrder whatever order the database returned them in: firing
// first, critical first, the rules in order, then by enterprise, age and key.
func TestCandidatesAreSortedIntoAMessage(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	want := []AlertRow{
		{Key: "07", Status: "firing", SeverityRank: 0, RuleOrder: 1, EnterpriseUSCC: "A", Since: t0},
		{Key: "03", Status: "firing", SeverityRank: 0, RuleOrder: 1, EnterpriseUSCC: "A", Since: t0.Add(time.Hour)},
		{Key: "05", Status: "firing", SeverityRank: 0, RuleOrder: 1, EnterpriseUSCC: "A", Since: t0.Add(time.Hour)},
		{Key: "01", Status: "firing", SeverityRank: 0, RuleOrder: 1, EnterpriseUSCC: "B", Since: t0},
		{Key: "06", Status: "firing", SeverityRank: 0, RuleOrder: 2, EnterpriseUSCC: "A", Since: t0},
		{Key: "02", Status: "firing", SeverityRank: 1, RuleOrder: 0, EnterpriseUSCC: "A", Since: t0},
		{Key: "04", Status: "resolved", SeverityRank: 0, RuleOrder: 0, EnterpriseUSCC: "A", Since: t0},
	}
	for _, perm := range [][]int{{6, 5, 4, 3, 2, 1, 0}, {3, 0, 6, 1, 5, 2, 4}, {0, 1, 2, 3, 4, 5, 6}, {1, 2, 3, 4, 5, 6, 0}} {
		var read candidateChunks
		for _, p := range perm {
			read.add(DeliveryCandidate{Alert: want[p], Delivery: DeliveryRow{Key: want[p].Key}})
		}
		cs := read.sorted()
		var got, keys []string
		for i, c := range cs {
			got = append(got, c.Alert.Key)
			keys = append(keys, want[i].Key)
			if c.Delivery.Key != c.Alert.Key {
				t.Errorf("candidate %s carries the delivery of %s", c.Alert.Key, c.Delivery.Key)
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(keys) {
			t.Errorf("from %v: %v, want %v", perm, got, keys)
		}
	}

	// A community's worth, over several chunks, read in the order of its keys' hashes.
	var read candidateChunks
	const n = 3*candidateChunk + 17
	for i := range n {
		k := fmt.Sprintf("%08x", uint32(i)*2654435761)
		a := AlertRow{Key: k, Status: []string{"firing", "resolved"}[i%7/6], SeverityRank: i % 3, RuleOrder: i % 5,
			EnterpriseUSCC: fmt.Sprint(i % 11), Since: t0.Add(time.Duration(i%13) * time.Hour)}
		read.add(DeliveryCandidate{Alert: a, Delivery: DeliveryRow{Key: k}})
	}
	cs := read.sorted()
	seen := map[string]bool{}
	for _, c := range cs {
		seen[c.Alert.Key] = true
		if c.Delivery.Key != c.Alert.Key {
			t.Fatalf("candidate %s carries the delivery of %s", c.Alert.Key, c.Delivery.Key)
		}
	}
	if len(cs) != n || len(seen) != n {
		t.Errorf("%d candidates sorted (%d different), want %d", len(cs), len(seen), n)
	}
	if !slices.IsSortedFunc(cs, func(a, b DeliveryCandidate) int { return deliveryOrder(&a, &b) }) {
		t.Error("candidates over several chunks are not in deliveryOrder")
	}
}

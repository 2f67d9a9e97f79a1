package reconcile

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"go.uber.org/zap"

	"streetsync/connectors/quanzhou"
	"streetsync/internal/alerts/rules"
	"streetsync/internal/config"
	"streetsync/internal/ledger"
	"streetsync/internal/testutil"
	"streetsync/mapping"
	"streetsync/mapping/mask"
	"streetsync/mocks"
	"streetsync/mocks/dataset"
)

// The reference day of the generated data: certificate situations are built around it.
var refTime = time.Date(2026, 1, 15, 10, 0, 0, 0, mapping.Beijing())

type fixture struct {
	srv    *mocks.Server
	client *quanzhou.Client
	store  ledger.Store
	ds     *dataset.Dataset
	rec    *Reconciler
}

func newFixture(t *testing.T, driver string) *fixture {
	t.Helper()
	ctx := context.Background()
	clk := &offsetClock{base: refTime, start: time.Now()}
	now := clk.Now
	srv, err := mocks.NewServer(mocks.Options{Seed: 11, Enterprises: 120, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	ts, ep := srv.StartTest()
	t.Cleanup(func() { srv.Close(); ts.Close() })
	client, err := quanzhou.New(quanzhou.Config{BaseURL: ep.QuanzhouBaseURL, AppKey: ep.AppKey, AppSecret: ep.AppSecret,
		RateLimit: 1000, Burst: 100, Timeout: 10 * time.Second}, ep.Region, zap.NewNop(), quanzhou.WithClock(clk))
	if err != nil {
		t.Fatal(err)
	}
	dsn := filepath.Join(t.TempDir(), "ledger.db")
	if driver == "postgres" {
		dsn = testutil.Postgres(t)
	}
	store, err := ledger.Open(ctx, config.Ledger{Driver: driver, DSN: config.Secret(dsn)}, ledger.WithClock(now))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	loadLedger(t, store, srv.Dataset)
	rec, err := New(store, client, mapping.DefaultCatalog(), rules.Config{ExpiringWithinDays: 60}, mapping.Beijing(), now)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{srv: srv, client: client, store: store, ds: srv.Dataset, rec: rec}
}

// loadLedger puts the generator's street data into the ledger, through mapping's normalization
// as an import would.
func loadLedger(t testing.TB, store ledger.Store, ds *dataset.Dataset) {
	t.Helper()
	ctx := context.Background()
	var ents []ledger.EnterpriseInput
	for _, e := range ds.Ledger {
		m, ps := mapping.EnterpriseFromQZ(wire(e))
		if ps.HasErrors() {
			t.Fatalf("generated ledger enterprise %s does not validate: %v", e.USCC, ps)
		}
		m.PlatformID, m.Grade, m.GradeValidUntil, m.RiskMonitored, m.UpdatedAt = "", "", mapping.Date{}, false, time.Time{}
		m.Remark = e.Remark
		ents = append(ents, ledger.EnterpriseInput{Enterprise: m, Warnings: ps.Warnings()})
	}
	if _, err := store.UpsertEnterprises(ctx, ents); err != nil {
		t.Fatal(err)
	}
	cat := mapping.DefaultCatalog()
	var ops []ledger.OperatorInput
	for _, o := range ds.Roster {
		row := map[string]string{"姓名": o.Name, "身份证号": o.IDText, "联系电话": o.Phone, "所在企业统一社会信用代码": o.EnterpriseUSCC,
			"作业类别": o.CategoryText, "操作项目": o.ItemText, "上岗日期": o.StartDate.String(), "备注": o.Remark}
		if !o.EndDate.IsZero() {
			row["离岗日期"] = o.EndDate.String()
		}
		m, ps := mapping.OperatorFromRow(row, cat, mapping.WithToday(mapping.DateOf(refTime)))
		if ps.HasErrors() {
			t.Fatalf("generated roster row does not validate: %v", ps)
		}
		ops = append(ops, ledger.OperatorInput{Operator: m, Warnings: ps.Warnings()})
	}
	if _, err := store.UpsertOperators(ctx, ops); err != nil {
		t.Fatal(err)
	}
	var certs []mapping.Certificate
	for _, c := range ds.Certificates {
		if !c.OnRoster {
			continue
		}
		m, ps := mapping.CertificateFromTZ(tzWire(c), cat)
		if ps.HasErrors() {
			t.Fatalf("generated certificate does not validate: %v", ps)
		}
		certs = append(certs, m)
	}
	if _, err := store.UpsertCertificates(ctx, certs); err != nil {
		t.Fatal(err)
	}
}

func wire(e dataset.Enterprise) mapping.QZEnterprise {
	return mapping.QZEnterprise{Qyid: e.PlatformID, Tyshxydm: e.USCC, Qymc: e.Name, Fddbr: e.LegalRep, Zyfzr: e.Principal,
		Zyfzrlxdh: e.Phone, Aqglry: e.SafetyManager, Jydz: e.Address, Xzqhdm: e.Region, Sqmc: e.Community, Hylb: e.Industry,
		Zdlx: e.KeyRisks, Cyrs: mapping.FlexNumber(strconv.Itoa(e.Employees)), Qyzt: e.Status, Sfczc: flag(e.FactoryInFactory)}
}

func tzWire(c dataset.Certificate) mapping.TZCertificate {
	w := mapping.TZCertificate{CertNo: c.CertNo, HolderName: c.HolderName, IDNumber: c.IDNumber, Gender: c.Gender,
		CategoryCode: c.CategoryCode, CategoryName: c.CategoryName, ItemCode: c.ItemCode, ItemName: c.ItemName,
		FirstIssueDate: c.FirstIssueDate.String(), ValidFrom: c.ValidFrom.String(), ValidUntil: c.ValidUntil.String(),
		ReviewDueDate: c.ReviewDueDate.String(), Status: c.Status, Issuer: c.Issuer, UpdatedAt: c.UpdatedAt.Format(time.RFC3339)}
	if !c.LastReviewDate.IsZero() {
		s := c.LastReviewDate.String()
		w.LastReviewDate = &s
	}
	return w
}

// offsetClock runs at real speed from the reference time, so that the mock, the client and the
// ledger agree on the time while certificate situations stay those built for the reference day.
type offsetClock struct{ base, start time.Time }

func (c *offsetClock) Now() time.Time                         { return c.base.Add(time.Since(c.start)) }
func (c *offsetClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

func flag(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

func usccs[T any](xs []T, key func(T) string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = key(x)
	}
	sort.Strings(out)
	return out
}

func sorted(xs []string) []string {
	out := slices.Clone(xs)
	sort.Strings(out)
	return out
}

func TestReconcileFindsEveryGap(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			f := newFixture(t, driver)
			rep, _, err := f.rec.Run(context.Background(), ScopeEnterprises)
			if err != nil {
				t.Fatal(err)
			}
			er := rep.Enterprises
			if got, want := usccs(er.OnlyInLedger, func(x LedgerOnly) string { return x.USCC }), sorted(f.ds.Gaps.OnlyInLedger); !slices.Equal(got, want) {
				t.Errorf("onlyInLedger = %v, want %v", got, want)
			}
			if got, want := usccs(er.OnlyOnPlatform, func(x PlatformOnly) string { return x.USCC }), sorted(f.ds.Gaps.OnlyOnPlatform); !slices.Equal(got, want) {
				t.Errorf("onlyOnPlatform = %v, want %v", got, want)
			}
			// Before any sync the ledger has no platform-owned values: those differ everywhere
			// the platform has any. Street-owned differences are exactly the portal edits.
			var streetDiffs []string
			for _, d := range er.Different {
				for _, fd := range d.Fields {
					if fd.Owner == "street" {
						streetDiffs = append(streetDiffs, d.USCC)
						break
					}
				}
			}
			if got, want := sorted(streetDiffs), sorted(f.ds.Gaps.Different); !slices.Equal(got, want) {
				t.Errorf("street-owned differences in %v, want exactly the portal edits %v", got, want)
			}
		})
	}
}

// Two spellings of one value are not a difference: the platform writes the name with half-width
// parentheses, the phone with a dash and extra spaces; the ledger has the canonical forms.
func TestSpellingVariantsAreNotDifferences(t *testing.T) {
	led := mapping.Enterprise{USCC: "91350100M000100Y43", Name: "晋江市灵源某某鞋业（有限公司）", PrincipalPhone: "059585001234",
		KeyRisks: []mapping.KeyRisk{"FCSB", "YXKJ"}, Industry: "QG", Status: "1"}
	plat, _ := mapping.EnterpriseFromQZ(mapping.QZEnterprise{Tyshxydm: "91350100m000100y43", Qymc: " 晋江市灵源某某鞋业(有限公司) ",
		Zyfzrlxdh: "0595-8500 1234", Zdlx: "YXKJ,FCSB", Hylb: "QG", Qyzt: "1", Sfczc: "0", Cyrs: "0"})
	mapping.NormalizeEnterprise(&led)
	if d := Diff(&led, &plat); len(d) != 0 {
		t.Errorf("got differences %+v, want none", d)
	}
	plat.LegalRep = "王五"
	d := Diff(&led, &plat)
	if len(d) != 1 || d[0].Field != "legalRep" || d[0].Owner != "street" || d[0].Platform != "王五" {
		t.Errorf("got %+v, want one street-owned legalRep difference", d)
	}
}

func TestOperatorsReport(t *testing.T) {
	f := newFixture(t, "sqlite")
	rep, _, err := f.rec.Run(context.Background(), ScopeOperators)
	if err != nil {
		t.Fatal(err)
	}
	or := rep.Operators
	day := mapping.DateOf(refTime)
	wantUncertified := 0
	critical := map[string]bool{"NO_CERTIFICATE": true, "ITEM_MISMATCH": true, "CERT_INVALID": true, "CERT_EXPIRED": true, "REVIEW_OVERDUE": true}
	for _, o := range f.ds.Roster {
		end := mapping.Date{}
		if !o.EndDate.IsZero() {
			end = mapping.MustDate(o.EndDate.String())
		}
		if !end.IsZero() && !day.Before(end) {
			continue
		}
		if !o.StartDate.IsZero() && day.Before(mapping.MustDate(o.StartDate.String())) {
			continue
		}
		for _, r := range o.Expect {
			if critical[r] {
				wantUncertified++
				break
			}
		}
	}
	if or.Uncertified != wantUncertified {
		t.Errorf("uncertified = %d, want %d (the generator's oracle)", or.Uncertified, wantUncertified)
	}
	// Each of them by name: masked ID number, enterprise, critical rule; no since before an
	// alert check has recorded one.
	people := peopleOf(t, or.UncertifiedPeople)
	if len(people) != or.Uncertified || or.UncertifiedPeople.Len() != or.Uncertified {
		t.Fatalf("%d uncertified people listed (length %d), %d counted", len(people), or.UncertifiedPeople.Len(), or.Uncertified)
	}
	for _, u := range people {
		if !strings.Contains(u.IDNumber, "********") || u.Name == "" || u.EnterpriseName == "" || !critical[u.Rule] || u.RuleName == "" || u.Since != nil {
			t.Errorf("uncertified %+v: want a masked ID, a name, an enterprise name, a critical rule, no since", u)
		}
	}
	// Once the alert check records the alerts firing, since is each one's start, in
	// schedule.timezone: a different start per person, so that a since read for the wrong person
	// shows.
	var rows []ledger.AlertRow
	want := map[string]time.Time{}
	for i, u := range people {
		key := ""
		for _, o := range f.ds.Roster {
			if mask.ID(o.IDNumber) == u.IDNumber && o.EnterpriseUSCC == u.Enterprise && o.ItemCode == u.ItemCode {
				key = rules.KeyOf(u.Rule, o.IDNumber, o.EnterpriseUSCC, o.ItemCode)
			}
		}
		if key == "" {
			t.Fatalf("uncertified %+v is on no roster entry of the dataset", u)
		}
		since := time.Date(2026, 1, 10, 0, i, 0, 0, time.UTC)
		want[u.IDNumber+"|"+u.Enterprise+"|"+u.ItemCode+"|"+u.Rule] = since
		rows = append(rows, ledger.AlertRow{Key: key, Family: "certificate", Rule: u.Rule,
			Severity: "critical", Status: "firing", Episode: 1, Version: 1, Since: since, ChangedAt: since, LastSeen: since, Open: true})
	}
	err = f.store.AlertTx(context.Background(), func(tx ledger.AlertTx) error { return tx.PutAlerts(context.Background(), rows) })
	if err != nil {
		t.Fatal(err)
	}
	if rep, err = f.rec.Compare(context.Background(), ScopeOperators); err != nil {
		t.Fatal(err)
	}
	for _, got := range peopleOf(t, rep.Operators.UncertifiedPeople) {
		since := want[got.IDNumber+"|"+got.Enterprise+"|"+got.ItemCode+"|"+got.Rule]
		if got.Since == nil || !got.Since.Equal(since) || got.Since.Location() != mapping.Beijing() {
			t.Errorf("%s %s: since %v, want %v in Beijing time", got.Name, got.IDNumber, got.Since, since)
		}
	}
	or = rep.Operators
	// Nothing was ever registered by streetsync: every certified on-duty entry is unregistered.
	if len(or.Unregistered) == 0 {
		t.Fatal("no unregistered entries before any employment sync")
	}
	for _, u := range or.Unregistered {
		if !strings.Contains(u.IDNumber, "********") || !strings.Contains(u.CertNo, "********") {
			t.Errorf("ID or certificate number not masked: %+v", u)
		}
	}
	wantUnknown := 0
	for _, c := range f.ds.Certificates {
		if _, ok := mapping.DefaultCatalog().Item(c.ItemCode); c.OnRoster && !ok {
			wantUnknown++
		}
	}
	if len(or.UnknownItems) != wantUnknown {
		t.Errorf("unknownItems = %d, want %d", len(or.UnknownItems), wantUnknown)
	}
}

// pushFixer pushes through the real client and records acceptance in the ledger: the part of
// the sync jobs that Apply drives.
type pushFixer struct {
	store  ledger.Store
	client *quanzhou.Client
}

func (p *pushFixer) PushEnterprises(ctx context.Context, usccs []string) (int, map[string]string, error) {
	var recs []mapping.Enterprise
	for _, u := range usccs {
		r, err := p.store.EnterpriseByUSCC(ctx, u)
		if err != nil {
			return 0, nil, err
		}
		recs = append(recs, r.Enterprise)
	}
	res, err := p.client.SaveEnterprises(ctx, recs)
	if err != nil {
		return 0, nil, err
	}
	failed := map[string]string{}
	var acc []ledger.Acceptance
	for i, r := range res {
		if r.Err != nil {
			failed[r.USCC] = r.Err.Error()
			continue
		}
		acc = append(acc, ledger.Acceptance{Pushed: recs[i], PlatformID: r.Qyid, At: refTime})
	}
	if _, err := p.store.MarkEnterprisesAccepted(ctx, acc); err != nil {
		return 0, nil, err
	}
	return len(acc), failed, nil
}

func (p *pushFixer) RegisterEmployments(ctx context.Context, keys []mapping.OperatorKey) (int, map[string]string, error) {
	return 0, nil, nil
}

func TestApplyMakesEachSideAgreeWithItsOwner(t *testing.T) {
	f := newFixture(t, "sqlite")
	ctx := context.Background()
	_, snap, err := f.rec.Run(ctx, ScopeEnterprises)
	if err != nil {
		t.Fatal(err)
	}
	applied, err := f.rec.Apply(ctx, snap, &pushFixer{store: f.store, client: f.client})
	if err != nil {
		t.Fatal(err)
	}
	if len(applied.Failed) != 0 {
		t.Fatalf("apply failed for %+v", applied.Failed)
	}
	if want := len(f.ds.Gaps.OnlyInLedger) + len(f.ds.Gaps.Different); applied.Pushed != want {
		t.Errorf("pushed %d, want %d (ledger-only and portal-edited)", applied.Pushed, want)
	}
	if len(applied.NeedsPerson) != len(f.ds.Gaps.OnlyOnPlatform) {
		t.Errorf("needs a person: %d, want the %d platform-only enterprises", len(applied.NeedsPerson), len(f.ds.Gaps.OnlyOnPlatform))
	}
	after, _, err := f.rec.Run(ctx, ScopeEnterprises)
	if err != nil {
		t.Fatal(err)
	}
	er := after.Enterprises
	if len(er.OnlyInLedger) != 0 || len(er.Different) != 0 {
		t.Errorf("after apply: onlyInLedger %v, different %+v; want none", er.OnlyInLedger, er.Different)
	}
	for _, po := range er.OnlyOnPlatform {
		if !po.InLedger {
			t.Errorf("platform-only %s not pulled into the ledger as 待核实", po.USCC)
		}
	}
	// The platform now holds the ledger's street-owned values for a portal-edited enterprise.
	for _, u := range f.ds.Gaps.Different {
		p, ok := f.srv.Quanzhou.Enterprise(u)
		l, err := f.store.EnterpriseByUSCC(ctx, u)
		if !ok || err != nil {
			t.Fatalf("enterprise %s: on platform %v, ledger err %v", u, ok, err)
		}
		pm, _ := mapping.EnterpriseFromQZ(wireOf(p))
		if d := Diff(&l.Enterprise, &pm); len(d) != 0 {
			t.Errorf("%s still differs after apply: %+v", u, d)
		}
	}
}

func wireOf(p any) mapping.QZEnterprise {
	b, _ := json.Marshal(p)
	var w mapping.QZEnterprise
	_ = json.Unmarshal(b, &w)
	return w
}

func TestOneEnterprise(t *testing.T) {
	f := newFixture(t, "sqlite")
	ctx := context.Background()
	edited := f.ds.Gaps.Different[0]
	rep, _, err := f.rec.Enterprise(ctx, strings.ToLower(edited))
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Enterprises.Different) != 1 || rep.Enterprises.Different[0].USCC != edited {
		t.Errorf("got %+v, want the one edited enterprise", rep.Enterprises)
	}
	rep, _, err = f.rec.Enterprise(ctx, f.ds.Gaps.OnlyInLedger[0])
	if err != nil || len(rep.Enterprises.OnlyInLedger) != 1 {
		t.Errorf("ledger-only enterprise: %+v, %v", rep, err)
	}
}

func TestOutputs(t *testing.T) {
	since := time.Date(2026, 12, 7, 8, 31, 0, 0, time.FixedZone("CST", 8*3600))
	rep := &Report{
		Enterprises: &EnterpriseReport{
			OnlyInLedger:   []LedgerOnly{{USCC: "91350100M000100Y43", Name: "甲公司"}},
			OnlyOnPlatform: []PlatformOnly{},
			Different: []Difference{{USCC: "91350582MA2XXXXXX1", Name: "乙公司", Fields: []FieldDiff{
				{Field: "legalRep", Label: "法定代表人", Ledger: "张三", Platform: "李四", Owner: "street"}}}},
		},
		Operators: &OperatorReport{Unregistered: []Unregistered{}, UnknownItems: []UnknownItem{{CertNo: "T350582********123X", ItemCode: "0199"}}, Uncertified: 2,
			UncertifiedPeople: PeopleOf(
				Uncertified{Name: "张三", IDNumber: "350582********123X", Enterprise: "91350100M000100Y43", EnterpriseName: "甲公司", ItemCode: "0102",
					Rule: "NO_CERTIFICATE", RuleName: "无证上岗", Since: &since},
				Uncertified{Name: "李四", IDNumber: "350582********0015", Enterprise: "91350100M000100Y43", EnterpriseName: "甲公司", ItemCode: "0103",
					Rule: "CERT_EXPIRED", RuleName: "证书过期"},
			)},
	}
	var text bytes.Buffer
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"仅在台账的企业（未上平台）：1", "法定代表人 | 张三 | 李四 | 街道", "无有效证书的在岗人员：2"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text output lacks %q:\n%s", want, text.String())
		}
	}
	var js bytes.Buffer
	_ = json.NewEncoder(&js).Encode(rep)
	var generic map[string]map[string]any
	if err := json.Unmarshal(js.Bytes(), &generic); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"onlyInLedger", "onlyOnPlatform", "different"} {
		if _, ok := generic["enterprises"][k]; !ok {
			t.Errorf("JSON lacks enterprises.%s", k)
		}
	}
	for _, k := range []string{"unregistered", "uncertified", "unknownItems", "uncertifiedPeople"} {
		if _, ok := generic["operators"][k]; !ok {
			t.Errorf("JSON lacks operators.%s", k)
		}
	}
	dir := t.TempDir()
	xlsx := filepath.Join(dir, "对账.xlsx")
	if files, err := rep.WriteFile(xlsx); err != nil || len(files) != 1 {
		t.Fatal(files, err)
	}
	wb, err := excelize.OpenFile(xlsx)
	if err != nil {
		t.Fatal(err)
	}
	defer wb.Close()
	if got, want := wb.GetSheetList(), []string{sheetSummary, sheetOnlyLedger, sheetOnlyPlatform, sheetDifferent, sheetUnregistered,
		sheetUncertified, sheetUnknownItems}; !slices.Equal(got, want) {
		t.Errorf("sheets %v, want %v", got, want)
	}
	if v, _ := wb.GetCellValue(sheetDifferent, "C2"); v != "法定代表人" {
		t.Errorf("字段差异!C2 = %q, want 法定代表人", v)
	}
	// The uncertified people by name, masked ID number, enterprise, rule and since.
	row2, _ := wb.GetRows(sheetUncertified)
	if want := []string{"张三", "350582********123X", "91350100M000100Y43", "甲公司", "0102", "无证上岗（NO_CERTIFICATE）", "2026-12-07 08:31 +08:00"}; len(row2) != 3 || !slices.Equal(row2[1], want) {
		t.Errorf("%s rows %q, want row 2 %q", sheetUncertified, row2, want)
	} else if row2[2][6] != "尚未经预警检查" {
		t.Errorf("an alert not yet checked: since %q", row2[2][6])
	}
	// CSV: one list a file, each under one header; the summary names them.
	csvPath := filepath.Join(dir, "对账.csv")
	files, err := rep.WriteFile(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	lists := []string{"enterprises-only-in-ledger", "enterprises-only-on-platform", "enterprises-different", "operators-unregistered",
		"operators-uncertified", "operators-unknown-items"}
	if len(files) != len(lists)+1 || files[0] != csvPath {
		t.Fatalf("files %v, want the summary and %d lists", files, len(lists))
	}
	summary := readCSV(t, csvPath)
	if !slices.Equal(summary[0], []string{"清单", "行数", "文件"}) || len(summary) != len(lists)+1 {
		t.Errorf("summary %q", summary)
	}
	for i, list := range lists {
		p := filepath.Join(dir, "对账-"+list+".csv")
		if files[i+1] != p || summary[i+1][2] != filepath.Base(p) {
			t.Errorf("list %d: file %s, summary %q; want %s", i, files[i+1], summary[i+1], p)
		}
	}
	diff := readCSV(t, filepath.Join(dir, "对账-enterprises-different.csv"))
	if want := []string{"91350582MA2XXXXXX1", "乙公司", "法定代表人", "张三", "李四", "街道"}; len(diff) != 2 || !slices.Equal(diff[1], want) {
		t.Errorf("enterprises-different.csv %q", diff)
	}
	if unc := readCSV(t, filepath.Join(dir, "对账-operators-uncertified.csv")); len(unc) != 3 || unc[1][0] != "张三" || unc[0][6] != "预警自" {
		t.Errorf("operators-uncertified.csv %q", unc)
	}
	if _, err := rep.WriteFile(filepath.Join(dir, "x.pdf")); err == nil {
		t.Error("a .pdf report was accepted")
	}
	if rep.Empty() {
		t.Error("a report with differences is empty")
	}
	if !(&Report{Enterprises: &EnterpriseReport{}, Operators: &OperatorReport{}}).Empty() {
		t.Error("an empty report is not empty")
	}
}

// readCSV reads one of the report's CSV files: a byte order mark, then rows of one width.
func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(raw, []byte("\ufeff")) {
		t.Errorf("%s has no byte order mark", filepath.Base(path))
	}
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(raw, []byte("\ufeff")))).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", filepath.Base(path), err)
	}
	return rows
}

// Values from the platform or a workbook that a spreadsheet would run as formulas reach the CSV
// as text (OWASP's quote prefix) and the .xlsx as string cells; both files are the owner's only.
func TestReportFilesAreInertAndPrivate(t *testing.T) {
	hostile := []string{`=HYPERLINK("http://evil.example/","点击核实")`, "+1+1", "-2+3", "@SUM(A1:A9)", "\t=1", "\r=1"}
	rep := &Report{
		Enterprises: &EnterpriseReport{
			OnlyInLedger: []LedgerOnly{{USCC: "91350100M000100Y43", Name: hostile[0], Community: hostile[3]}},
			Different: []Difference{{USCC: "91350582MA2XXXXXX1", Name: "乙公司", Fields: []FieldDiff{
				{Field: "legalRep", Label: "法定代表人", Ledger: hostile[1], Platform: hostile[2], Owner: "street"},
				{Field: "employees", Label: "从业人员数", Ledger: "-12", Platform: hostile[4] + hostile[5], Owner: "street"}}}},
		},
		Operators: &OperatorReport{},
	}
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	dir := t.TempDir()
	csvPath, xlsxPath := filepath.Join(dir, "对账.csv"), filepath.Join(dir, "对账.xlsx")
	var rows [][]string
	for _, p := range []string{csvPath, xlsxPath} {
		files, err := rep.WriteFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if fi, err := os.Stat(f); err != nil || fi.Mode().Perm() != 0o600 {
				t.Errorf("%s: mode %v (%v), want 0600", filepath.Base(f), fi.Mode().Perm(), err)
			}
			if strings.HasSuffix(f, ".csv") {
				rows = append(rows, readCSV(t, f)...)
			}
		}
	}
	cells := map[string]bool{}
	for _, row := range rows {
		for _, c := range row {
			cells[c] = true
			if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) && c != "-12" {
				t.Errorf("CSV cell %q starts a formula", c)
			}
		}
	}
	for _, want := range []string{"'" + hostile[0], "'+1+1", "'-2+3", "'@SUM(A1:A9)", "'\t=1\r=1", "-12"} {
		if !cells[want] {
			t.Errorf("CSV lacks the cell %q: %q", want, rows)
		}
	}
	wb, err := excelize.OpenFile(xlsxPath)
	if err != nil {
		t.Fatal(err)
	}
	defer wb.Close()
	for sheet, cells := range map[string][]string{sheetOnlyLedger: {"B2", "C2"}, sheetDifferent: {"D2", "E2", "E3"}} {
		for _, cell := range cells {
			formula, _ := wb.GetCellFormula(sheet, cell)
			typ, _ := wb.GetCellType(sheet, cell)
			v, _ := wb.GetCellValue(sheet, cell)
			if formula != "" || (typ != excelize.CellTypeSharedString && typ != excelize.CellTypeInlineString) {
				t.Errorf("%s!%s = %q: formula %q, type %v, want a string cell", sheet, cell, v, formula, typ)
			}
		}
	}
	if v, _ := wb.GetCellValue(sheetOnlyLedger, "B2"); v != hostile[0] {
		t.Errorf("%s!B2 = %q, want the value as it was (a string cell needs no prefix)", sheetOnlyLedger, v)
	}
}

// recordedProgress keeps what a reconciliation reports of its phases.
type recordedProgress struct {
	phases  []string
	records map[string]int
	totals  map[string]int
	cur     string
}

func (p *recordedProgress) Begin(job, phase string, total int) {
	p.phases = append(p.phases, job+" · "+phase)
	p.cur = phase
}
func (p *recordedProgress) Advance(pages, records int) { p.records[p.cur] += records }
func (p *recordedProgress) Total(records int)          { p.totals[p.cur] = records }
func (p *recordedProgress) End()                       {}

// A long reconciliation reports each phase as it reads: the platform's enterprises, the ledger's,
// the roster and the certificates.
func TestRunReportsItsProgress(t *testing.T) {
	f := newFixture(t, "sqlite")
	p := &recordedProgress{records: map[string]int{}, totals: map[string]int{}}
	WithProgress(p)(f.rec)
	rep, _, err := f.rec.Run(context.Background(), ScopeAll)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"对账 · 读取平台企业", "对账 · 比对台账企业", "对账 · 核对花名册", "对账 · 核对证书操作项目"}
	if !slices.Equal(p.phases, want) {
		t.Errorf("phases %q, want %q", p.phases, want)
	}
	if p.records[phasePlatform] == 0 || p.records[phaseLedger] != len(f.ds.Ledger) || p.records[phaseRoster] == 0 {
		t.Errorf("records per phase %v (ledger has %d)", p.records, len(f.ds.Ledger))
	}
	// The platform's listing says its size on its first page: the line shows done/total.
	if p.totals[phasePlatform] != p.records[phasePlatform] {
		t.Errorf("the platform phase's total %d, its records %d", p.totals[phasePlatform], p.records[phasePlatform])
	}
	if rep.Enterprises == nil {
		t.Fatal("no enterprise report")
	}
}

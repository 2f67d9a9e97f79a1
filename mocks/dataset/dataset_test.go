package dataset

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"streetsync/mocks/internal/gbcode"
)

func generate(t testing.TB, p Params) *Dataset {
	t.Helper()
	ds, err := Generate(p)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func workbook(t testing.TB, ds *Dataset) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := ds.WriteWorkbook(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestSameSeedSameBytes(t *testing.T) {
	p := Params{Seed: 99, Enterprises: 120, BadRecords: 4, PilotUSCCs: 2}
	a, b := generate(t, p), generate(t, p)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two generations with the same seed differ")
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if !bytes.Equal(ja, jb) {
		t.Fatal("same seed: JSON of the datasets differs")
	}
	wa, wb := workbook(t, a), workbook(t, b)
	if sha256.Sum256(wa) != sha256.Sum256(wb) {
		t.Fatal("same seed: workbooks are not byte-identical")
	}
	if c := generate(t, Params{Seed: 100, Enterprises: 120}); c.Ledger[0].USCC == a.Ledger[0].USCC {
		t.Error("another seed gave the same first enterprise")
	}
}

func TestWorkbookLayout(t *testing.T) {
	ds := generate(t, Params{Seed: 1, Enterprises: 30, BadRecords: 4})
	f, err := excelize.OpenReader(bytes.NewReader(workbook(t, ds)))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); !slices.Equal(got, []string{SheetEnterprises, SheetOperators}) {
		t.Errorf("sheets %v, want 企业台账 and 特种作业人员", got)
	}
	for sheet, want := range map[string]struct {
		headers []string
		rows    int
	}{SheetEnterprises: {EnterpriseHeaders, len(ds.Ledger)}, SheetOperators: {OperatorHeaders, len(ds.Roster)}} {
		rows, err := f.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(rows[0], want.headers) {
			t.Errorf("%s headers %v, want %v", sheet, rows[0], want.headers)
		}
		if len(rows)-1 != want.rows {
			t.Errorf("%s has %d rows, want %d", sheet, len(rows)-1, want.rows)
		}
	}
	props, err := f.GetDocProps()
	if err != nil || props.Created != workbookTime || props.Modified != workbookTime {
		t.Errorf("doc props %+v (%v), want fixed times", props, err)
	}
}

func TestCodesCheckOut(t *testing.T) {
	ds := generate(t, Params{Seed: 5, Enterprises: 200, BadRecords: 8, PilotUSCCs: 3})
	badEnt, badOp := map[int]BadKind{}, map[int]BadKind{}
	for _, b := range ds.Bad {
		if b.Sheet == SheetEnterprises {
			badEnt[b.Index] = b.Kind
		} else {
			badOp[b.Index] = b.Kind
		}
	}
	pilots := 0
	for i, e := range ds.Ledger {
		switch {
		case badEnt[i] == BadUSCCCheck:
			if gbcode.USCCAccepted(e.USCC) {
				t.Errorf("bad row %d: %s is accepted, want a wrong check character", i, e.USCC)
			}
		case e.PilotUSCC:
			pilots++
			if gbcode.USCCValid(e.USCC) || !gbcode.USCCAccepted(e.USCC) {
				t.Errorf("pilot %s: want a wrong check character with a valid inner organization code", e.USCC)
			}
		case !gbcode.USCCValid(e.USCC) || !gbcode.OrgCodeValid(e.USCC[8:17]) || e.USCC[2:8] != "350582":
			t.Errorf("ledger USCC %s is not a valid 晋江 code", e.USCC)
		}
	}
	if pilots != 3 {
		t.Errorf("%d pilot codes, want 3", pilots)
	}
	for i, op := range ds.Roster {
		if badOp[i] == BadIDCheck {
			if gbcode.IDValid(op.IDNumber) {
				t.Errorf("bad row %d: ID %s is valid", i, op.IDNumber)
			}
			continue
		}
		if !gbcode.IDValid(op.IDNumber) || strings.ToUpper(op.IDText) != op.IDNumber {
			t.Errorf("roster ID %s (%s) does not check out", op.IDNumber, op.IDText)
		}
	}
	for _, c := range ds.Certificates {
		if !gbcode.IDValid(c.IDNumber) {
			t.Errorf("certificate holder ID %s does not check out", c.IDNumber)
		}
	}
}

// TestEverySituationAndRule checks that a default-size dataset holds every certificate situation
// and every alert rule, and the other things tests rely on.
func TestEverySituationAndRule(t *testing.T) {
	ds := generate(t, Params{Seed: 3})
	sits, rules := map[Situation]int{}, map[string]int{}
	for _, op := range ds.Roster {
		sits[op.Situation]++
		for _, r := range op.Expect {
			rules[r]++
		}
	}
	for _, s := range []Situation{SitValid, SitRenewed, SitUnknownItem, SitLowerX, SitNameVariant, SitNoCertificate,
		SitItemMismatch, SitExpiredDate, SitExpiredStatus, SitReviewOverdue, SitSuspended, SitRevoked, SitCancelled,
		SitExpiringSoon, SitReviewDueSoon, SitBothSoon, SitNameMismatch, SitOffDuty} {
		if sits[s] == 0 {
			t.Errorf("no roster entry with situation %s", s)
		}
	}
	for _, r := range []string{"NO_CERTIFICATE", "ITEM_MISMATCH", "CERT_EXPIRED", "REVIEW_OVERDUE", "CERT_INVALID",
		"EXPIRING_SOON", "REVIEW_DUE_SOON", "NAME_MISMATCH"} {
		if rules[r] == 0 {
			t.Errorf("no roster entry expects %s", r)
		}
	}
	if sits[SitValid] < len(ds.Roster)/2 {
		t.Errorf("only %d of %d entries valid: want plenty of valid ones", sits[SitValid], len(ds.Roster))
	}
	persons := map[string]map[string]bool{}
	futureEnd := 0
	for _, op := range ds.Roster {
		if persons[op.IDNumber] == nil {
			persons[op.IDNumber] = map[string]bool{}
		}
		persons[op.IDNumber][op.EnterpriseUSCC] = true
		if op.EndDate > ds.Params.Reference {
			futureEnd++
		}
	}
	multi := 0
	for _, es := range persons {
		if len(es) > 1 {
			multi++
		}
	}
	if multi == 0 || futureEnd == 0 {
		t.Errorf("people at several enterprises: %d; future 离岗日期: %d; want some of each", multi, futureEnd)
	}
	forms := map[string]bool{}
	for _, op := range ds.Roster {
		it, _ := RosterItem(op.ItemCode)
		switch op.ItemText {
		case it.Code:
			forms["code"] = true
		case it.Name:
			forms["name"] = true
		default:
			forms["short"] = true
		}
	}
	if len(forms) != 3 {
		t.Errorf("操作项目 forms %v, want name, code and short form", forms)
	}
	levels, states := map[int]bool{}, map[string]bool{}
	for _, a := range ds.Alarms {
		levels[a.Level] = true
		switch {
		case a.HandlingStatus == "2":
			states["handled"] = true
		case a.RecoveredAt.IsZero():
			states["active"] = true
		default:
			states["recovered"] = true
		}
	}
	if len(levels) != 4 || len(states) != 3 {
		t.Errorf("alarm levels %v, states %v: want 1–4 and active, recovered, handled", levels, states)
	}
	noise := 0
	for _, c := range ds.Certificates {
		if !c.OnRoster {
			noise++
		}
	}
	if noise == 0 || len(ds.Employments) == 0 {
		t.Errorf("noise certificates %d, employments %d: want some", noise, len(ds.Employments))
	}
}

// TestExpectationsFollowTheRules evaluates the alert rules of contracts/operator-interface.md,
// written here from the contract, against the generated certificates: the generator's Expect must
// be what the rules give.
func TestExpectationsFollowTheRules(t *testing.T) {
	for _, seed := range []int64{1, 2, 3} {
		ds := generate(t, Params{Seed: seed, Enterprises: 300})
		ref := ds.Params.Reference
		byID := map[string][]Certificate{}
		for _, c := range ds.Certificates {
			byID[strings.ToUpper(c.IDNumber)] = append(byID[strings.ToUpper(c.IDNumber)], c)
		}
		for _, op := range ds.Roster {
			got := oracle(op, byID[op.IDNumber], ref)
			if !slices.Equal(got, op.Expect) {
				t.Errorf("seed %d, %s %s item %s (%s): rules give %v, generator expects %v",
					seed, op.Name, op.IDNumber, op.ItemCode, op.Situation, got, op.Expect)
			}
		}
	}
}

func oracle(op Operator, certs []Certificate, ref Day) []string {
	if op.EndDate != 0 && op.EndDate <= ref || op.StartDate > ref {
		return nil // not on duty
	}
	if len(certs) == 0 {
		return []string{"NO_CERTIFICATE"}
	}
	valid := func(c Certificate) bool {
		return c.Status == "VALID" && c.ValidFrom <= ref && ref <= c.ValidUntil &&
			(ref <= c.ReviewDueDate || c.LastReviewDate != 0 && c.LastReviewDate >= c.ReviewDueDate)
	}
	var best *Certificate
	for i := range certs {
		c := &certs[i]
		if c.ItemCode != op.ItemCode {
			continue
		}
		if best == nil || better(*c, *best, valid) {
			best = c
		}
	}
	if best == nil {
		return []string{"ITEM_MISMATCH"}
	}
	var out []string
	switch {
	case best.Status == "SUSPENDED" || best.Status == "REVOKED" || best.Status == "CANCELLED":
		out = []string{"CERT_INVALID"}
	case best.ValidUntil < ref || best.Status == "EXPIRED":
		out = []string{"CERT_EXPIRED"}
	case best.ReviewDueDate < ref && (best.LastReviewDate == 0 || best.LastReviewDate < best.ReviewDueDate):
		out = []string{"REVIEW_OVERDUE"}
	case valid(*best):
		if ref <= best.ValidUntil && best.ValidUntil <= ref+60 {
			out = append(out, "EXPIRING_SOON")
		}
		if ref <= best.ReviewDueDate && best.ReviewDueDate <= ref+60 {
			out = append(out, "REVIEW_DUE_SOON")
		}
	}
	norm := strings.NewReplacer(" ", "", "　", "", "•", "·", "・", "·")
	if norm.Replace(op.Name) != norm.Replace(best.HolderName) {
		out = append(out, "NAME_MISMATCH")
	}
	return out
}

func better(a, b Certificate, valid func(Certificate) bool) bool {
	if valid(a) != valid(b) {
		return valid(a)
	}
	if a.ValidUntil != b.ValidUntil {
		return a.ValidUntil > b.ValidUntil
	}
	return a.ReviewDueDate > b.ReviewDueDate
}

func TestGapsAndBadRecords(t *testing.T) {
	ds := generate(t, Params{Seed: 8, Enterprises: 100, BadRecords: 4})
	ledger, platform := map[string]Enterprise{}, map[string]Enterprise{}
	for _, e := range ds.Ledger {
		ledger[e.USCC] = e
	}
	for _, e := range ds.Platform {
		platform[e.USCC] = e
	}
	if len(ds.Gaps.OnlyInLedger) == 0 || len(ds.Gaps.OnlyOnPlatform) == 0 || len(ds.Gaps.Different) == 0 {
		t.Fatalf("gaps %+v: want some of each", ds.Gaps)
	}
	for _, u := range ds.Gaps.OnlyInLedger {
		if _, on := platform[u]; on {
			t.Errorf("%s is listed only-in-ledger but is on the platform", u)
		}
	}
	for _, u := range ds.Gaps.OnlyOnPlatform {
		if _, in := ledger[u]; in {
			t.Errorf("%s is listed only-on-platform but is in the ledger", u)
		}
	}
	for _, u := range ds.Gaps.Different {
		l, p := ledger[u], platform[u]
		if l.Phone == p.Phone && l.Principal == p.Principal && l.Employees == p.Employees && l.Address == p.Address &&
			l.SafetyManager == p.SafetyManager && l.Status == p.Status {
			t.Errorf("%s is listed different but no street-owned field differs", u)
		}
	}
	kinds := map[BadKind]int{}
	for _, b := range ds.Bad {
		kinds[b.Kind]++
		if _, on := platform[ds.Ledger[min(b.Index, len(ds.Ledger)-1)].USCC]; b.Sheet == SheetEnterprises && on {
			t.Errorf("bad enterprise row %d is on the platform", b.Row)
		}
	}
	if kinds[BadUSCCCheck] != 1 || kinds[BadIDCheck] != 1 || kinds[BadMissingRequired] != 2 {
		t.Errorf("bad kinds %v, want one USCC, one ID, two missing", kinds)
	}
}

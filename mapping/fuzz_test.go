package mapping

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// The fuzz targets check the package's promises on arbitrary input: nothing panics,
// normalization is idempotent, and what validates after normalization still validates — and is
// the same record — after a round trip through each outside shape. Seed corpora are checked in
// under testdata/fuzz/<Name>/.

var fuzzToday = WithToday(Date{2026, time.November, 28})

// streetView is what a shape must carry unchanged: the key, the street-owned fields as the
// reconcile report compares them, and the platform id.
func streetView(e *Enterprise) []string {
	out := []string{e.USCC, e.PlatformID}
	for _, f := range FieldsOwnedBy(OwnerStreet) {
		out = append(out, f.Get(e))
	}
	return out
}

// checkTextRulesIdempotent applies every named text rule twice.
func checkTextRulesIdempotent(t *testing.T, inputs ...string) {
	t.Helper()
	rules := map[string]func(string) string{
		"FoldWidth": FoldWidth, "CleanText": CleanText, "NormalizeMiddleDot": NormalizeMiddleDot,
		"NormalizeCompanyName": NormalizeCompanyName, "NormalizeAddress": NormalizeAddress,
		"NormalizeCommunity": NormalizeCommunity, "NormalizePersonName": NormalizePersonName,
		"NameMatchKey": NameMatchKey, "NormalizeUSCC": NormalizeUSCC, "NormalizeIDNumber": NormalizeIDNumber,
		"NormalizePhone": NormalizePhone,
	}
	for _, in := range inputs {
		for name, f := range rules {
			once := f(in)
			if twice := f(once); twice != once {
				t.Fatalf("%s not idempotent: %q → %q → %q", name, in, once, twice)
			}
		}
	}
}

func FuzzNormalizeEnterprise(f *testing.F) {
	f.Add("91350100M000100Y43", "晋江市(灵源)鞋业有限公司", "张 三", "阿卜杜•热合曼", "+86 138-0595-1234",
		"王\u3000五", "晋江市灵源街道 林格社区１２８号", "林格 社区", "轻工", "有限空间、涉爆粉尘", "１２０人", "在营", "否", "备注")
	f.Add("9135 0100 m000 100y43", "ＡＢＣ\u200b公司", "John  Smith", "李四", "0595-8888 1234",
		"", "地址", "", "JX", "FCSB,PT", "120", "1", "1", "")
	f.Add("91350100M000100Y4X", "x", "y", "z", "88881234", "", "a", "社区", "机械行业", "木工", "-3", "吊销", "也许", "\x00")
	f.Fuzz(func(t *testing.T, uscc, name, legalRep, principal, phone, safety, address, community, industry,
		keyRisks, employees, status, fif, remark string) {
		checkTextRulesIdempotent(t, uscc, name, legalRep, phone, address, community)
		q := QZEnterprise{Qyid: "QY35058200001234", Tyshxydm: uscc, Qymc: name, Fddbr: legalRep, Zyfzr: principal,
			Zyfzrlxdh: phone, Aqglry: safety, Jydz: address, Xzqhdm: "350582006", Sqmc: community, Hylb: industry,
			Zdlx: keyRisks, Cyrs: FlexNumber(employees), Qyzt: status, Sfczc: fif}
		e, ps := EnterpriseFromQZ(q)
		e.Remark = CleanText(remark)

		again := e
		again.KeyRisks = append([]KeyRisk(nil), e.KeyRisks...)
		NormalizeEnterprise(&again)
		if !reflect.DeepEqual(again, e) {
			t.Fatalf("NormalizeEnterprise not idempotent:\n %+v\n %+v", e, again)
		}
		if !reflect.DeepEqual(ValidateEnterprise(&again), ValidateEnterprise(&e)) {
			t.Fatal("validation differs after normalizing again")
		}
		if ps.HasErrors() {
			return
		}

		// Quanzhou wire: to JSON and back.
		body, err := json.Marshal(EnterpriseToQZ(&e))
		if err != nil {
			t.Fatal(err)
		}
		var wire QZEnterprise
		if err := json.Unmarshal(body, &wire); err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		back, ps := EnterpriseFromQZ(wire)
		if ps.HasErrors() {
			t.Fatalf("valid record fails after the Quanzhou round trip: %v\n%s", ps, body)
		}
		if got, want := streetView(&back), streetView(&e); !reflect.DeepEqual(got, want) {
			t.Fatalf("Quanzhou round trip changed the record:\n got %q\nwant %q", got, want)
		}
		if back.StreetHash() != e.StreetHash() {
			t.Fatal("street hash changed over the Quanzhou round trip")
		}

		// Workbook row (which also requires a community).
		if e.Community == "" {
			return
		}
		row, ps := EnterpriseFromRow(EnterpriseToRow(&e), nil)
		if ps.HasErrors() {
			t.Fatalf("valid record fails after the workbook round trip: %v\n%v", ps, EnterpriseToRow(&e))
		}
		if got, want := append(streetView(&row)[2:], row.Remark), append(streetView(&e)[2:], e.Remark); !reflect.DeepEqual(got, want) ||
			row.USCC != e.USCC {
			t.Fatalf("workbook round trip changed the record:\n got %q\nwant %q", got, want)
		}
	})
}

func FuzzNormalizeCertificate(f *testing.F) {
	f.Add("t35052219760101123x", " 王 五 ", "35052219760101123x", "1", "01", "", " 0102", "", "2020-03-01",
		"2020-03-01", "2026-03-01", "2023-03-01", "2023-02-10", "valid", "泉州市应急管理局", "2024-05-21T01:30:00Z")
	f.Add("T11010519491231002X", "阿卜杜・热合曼", "110105491231002", "男", "", "", "0105", "电力电缆作业", "",
		"2020/3/1", "20260301", "45000", "", "暂扣", "", "2024-05-21T09:30:00.5+08:00")
	f.Add("", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "")
	f.Fuzz(func(t *testing.T, certNo, holder, id, gender, category, categoryName, item, itemName,
		firstIssue, validFrom, validUntil, reviewDue, lastReview, status, issuer, updatedAt string) {
		checkTextRulesIdempotent(t, holder, id)
		tz := TZCertificate{CertNo: certNo, HolderName: holder, IDNumber: id, Gender: gender, CategoryCode: category,
			CategoryName: categoryName, ItemCode: item, ItemName: itemName, FirstIssueDate: firstIssue,
			ValidFrom: validFrom, ValidUntil: validUntil, ReviewDueDate: reviewDue, Status: status, Issuer: issuer,
			UpdatedAt: updatedAt}
		if lastReview != "" {
			tz.LastReviewDate = &lastReview
		}
		c, ps := CertificateFromTZ(tz, nil, fuzzToday)

		again := c
		NormalizeCertificate(&again, nil)
		if !reflect.DeepEqual(again, c) {
			t.Fatalf("NormalizeCertificate not idempotent:\n %+v\n %+v", c, again)
		}
		if ps.HasErrors() {
			return
		}

		body, err := json.Marshal(CertificateToTZ(&c))
		if err != nil {
			t.Fatal(err)
		}
		var wire TZCertificate
		if err := json.Unmarshal(body, &wire); err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		back, ps := CertificateFromTZ(wire, nil, fuzzToday)
		if ps.HasErrors() {
			t.Fatalf("valid certificate fails after the round trip: %v\n%s", ps, body)
		}
		if !back.UpdatedAt.Equal(c.UpdatedAt) {
			t.Fatalf("updatedAt %v became %v", c.UpdatedAt, back.UpdatedAt)
		}
		back.UpdatedAt, c.UpdatedAt = time.Time{}, time.Time{}
		if !reflect.DeepEqual(back, c) {
			t.Fatalf("round trip changed the certificate:\n got %+v\nwant %+v", back, c)
		}
	})
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2024-05-21", "2024/5/21", "2024.05.21", "20240521", "2024年5月21日", "45433",
		"45433.5", "２０２４－０５－２１", "2024-05-21 09:30:00", "60", "2024", "", "2023-02-29", "0005-1-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDate(s)
		if err != nil {
			if !d.IsZero() {
				t.Fatalf("ParseDate(%q) failed but returned %v", s, d)
			}
			return
		}
		if d2, err2 := ParseDate(FoldWidth(s)); d2 != d || err2 != nil {
			t.Fatalf("ParseDate(FoldWidth(%q)) = %v, %v; want %v", s, d2, err2, d)
		}
		if d.IsZero() {
			return
		}
		if _, err := makeDate(d.Year, int(d.Month), d.Day); err != nil {
			t.Fatalf("ParseDate(%q) = %v, not a real day", s, d)
		}
		back, err := ParseDate(d.String())
		if err != nil || back != d {
			t.Fatalf("ParseDate(%q) = %v, but ParseDate(%q) = %v, %v", s, d, d.String(), back, err)
		}
		text, _ := d.MarshalText()
		var u Date
		if err := u.UnmarshalText(text); err != nil || u != d {
			t.Fatalf("text round trip of %v: %v, %v", d, u, err)
		}
	})
}

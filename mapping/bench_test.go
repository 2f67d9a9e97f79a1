package mapping

import "testing"

// The hot path: an outside record becomes a validated canonical record. The inputs are the
// realistic messy fixtures (full-width digits, spaces, lower-case codes, labels instead of codes,
// a +86 phone, a half-width parenthesis, a zero-width space).

func BenchmarkNormalizeEnterprise(b *testing.B) {
	var q QZEnterprise
	readJSON(b, "qz_enterprise_messy.json", &q)
	b.ReportAllocs()
	for b.Loop() {
		e, ps := EnterpriseFromQZ(q)
		if ps != nil || e.USCC == "" {
			b.Fatal(ps)
		}
	}
}

func BenchmarkNormalizeEnterpriseClean(b *testing.B) {
	var q QZEnterprise
	readJSON(b, "qz_enterprise.json", &q)
	b.ReportAllocs()
	for b.Loop() {
		if _, ps := EnterpriseFromQZ(q); ps != nil {
			b.Fatal(ps)
		}
	}
}

func BenchmarkNormalizeCertificate(b *testing.B) {
	var t TZCertificate
	readJSON(b, "tz_certificate_messy.json", &t)
	cat := DefaultCatalog()
	today := WithToday(Date{2026, 11, 28})
	b.ReportAllocs()
	for b.Loop() {
		c, ps := CertificateFromTZ(t, cat, today)
		if ps != nil || c.IDNumber == "" {
			b.Fatal(ps)
		}
	}
}

func BenchmarkNormalizeCertificateDefaultToday(b *testing.B) {
	var t TZCertificate
	readJSON(b, "tz_certificate_messy.json", &t)
	cat := DefaultCatalog()
	b.ReportAllocs()
	for b.Loop() {
		if _, ps := CertificateFromTZ(t, cat); ps != nil {
			b.Fatal(ps)
		}
	}
}

func BenchmarkParseDate(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseDate("２０２４年５月２１日"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEnterpriseFromRow(b *testing.B) {
	row := messyEnterpriseRow()
	b.ReportAllocs()
	for b.Loop() {
		if _, ps := EnterpriseFromRow(row, nil); ps != nil {
			b.Fatal(ps)
		}
	}
}

func BenchmarkStreetHash(b *testing.B) {
	e := validEnterprise()
	b.ReportAllocs()
	for b.Loop() {
		_ = e.StreetHash()
	}
}

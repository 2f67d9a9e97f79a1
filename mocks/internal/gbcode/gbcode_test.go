package gbcode

import "testing"

func TestUSCCCheckChar(t *testing.T) {
	// Published example codes (GB 32100 appendix style) recomputed by hand.
	cases := []struct {
		code string
		want bool
	}{
		{"91350100M000100Y43", true},
		{"91350100M000100Y44", false},
		{"9135010OM000100Y43", false}, // O is not in the alphabet
		{"91350100M000100Y4", false},
	}
	for _, c := range cases {
		if got := USCCValid(c.code); got != c.want {
			t.Errorf("USCCValid(%q) = %v, want %v", c.code, got, c.want)
		}
	}
}

func TestOrgCheckChar(t *testing.T) {
	// D2143569-0 style check: 3*13+7*2+9*1+10*4+5*3+8*5+4*6+2*9 = 199; 199 %11 = 1; 11-1 = 10 → X.
	c, ok := OrgCheckChar("D2143569")
	if !ok || c != 'X' {
		t.Errorf("OrgCheckChar(D2143569) = %q, %v, want X", c, ok)
	}
}

// withWrongCheck appends a check character that is wrong for the 17 characters of body.
func withWrongCheck(body string) string {
	right, _ := USCCCheckChar(body)
	if right == '0' {
		return body + "1"
	}
	return body + "0"
}

func TestFujianPilotException(t *testing.T) {
	base := "91350582" + "MA2Y0K7T"
	oc, _ := OrgCheckChar("MA2Y0K7T")
	body := base + string(oc)
	pilot := withWrongCheck(body)
	if USCCValid(pilot) {
		t.Fatalf("pilot code %s unexpectedly valid", pilot)
	}
	if !USCCAccepted(pilot) {
		t.Errorf("USCCAccepted(%s) = false, want true: Fujian code with valid inner organization code", pilot)
	}
	// The same inner organization code outside Fujian, with a check character that is wrong
	// for it: the pilot exception must not rescue it.
	notFujian := withWrongCheck("91440300" + body[8:])
	if USCCValid(notFujian) {
		t.Fatalf("%s is valid: the test needs a wrong check character", notFujian)
	}
	if USCCAccepted(notFujian) {
		t.Errorf("USCCAccepted(%s) = true, want false: exception is for Fujian codes only", notFujian)
	}
}

func TestIDCheckChar(t *testing.T) {
	// The check character of the GB 11643 standard's own example 11010519491231002X.
	if !IDValid("11010519491231002X") || !IDValid("11010519491231002x") {
		t.Error("IDValid rejects the standard's example")
	}
	if IDValid("110105194912310021") {
		t.Error("IDValid accepts a wrong check digit")
	}
}

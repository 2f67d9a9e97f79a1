package mask

import "testing"

func TestID(t *testing.T) {
	tests := []struct{ in, want string }{
		{"35058219900101123X", "350582********123X"},
		{"350582900101123", "350582*****1123"},
		{"12345", "*****"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := ID(tt.in); got != tt.want {
			t.Errorf("ID(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got, want := CertNo("T35058219900101123X"), "T350582********123X"; got != want {
		t.Errorf("CertNo = %q, want %q", got, want)
	}
	if got, want := CertNo("闽安监2015-0042"), "闽安监2015-0042"; got != want {
		t.Errorf("CertNo = %q, want %q", got, want)
	}
}

func TestIDsInTextLeavesOtherNumbers(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"bad check digit kept", "11010519491231002Y", "11010519491231002Y"},
		{"longer digit run kept", "9911010519491231002X", "9911010519491231002X"},
		{"lower-case x", "id=11010519491231002x.", "id=110105********002x."},
		{"two ids", "11010519491231002X,11010519491231002X", "110105********002X,110105********002X"},
		{"chinese around", "身份证11010519491231002X有误", "身份证110105********002X有误"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IDsInText(tt.in); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func FuzzIDsInText(f *testing.F) {
	f.Add("11010519491231002X")
	f.Add("T11010519491231002x 身份证")
	f.Fuzz(func(t *testing.T, s string) {
		got := IDsInText(s)
		if len(got) != len(s) {
			t.Fatalf("length changed: %q -> %q", s, got)
		}
		if IDsInText(got) != got {
			t.Fatalf("not idempotent: %q", got)
		}
	})
}

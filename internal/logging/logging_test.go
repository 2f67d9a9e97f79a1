package logging

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"go.uber.org/zap"
)

func TestSecretsNeverReachTheLog(t *testing.T) {
	secrets := []string{
		"qz-app-secret-8f3a9c",
		`tz"secret\with\quotes`,
		"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx",
		"693a91f6-7xxx",
		"console-token-0123456789",
	}
	for _, format := range []string{"json", "console"} {
		t.Run(format, func(t *testing.T) {
			var out bytes.Buffer
			log, err := New(Options{Format: format, Level: "debug", Secrets: secrets, Out: &out})
			if err != nil {
				t.Fatal(err)
			}
			child := log.With(zap.String("appSecret", secrets[0])).Named("connector")
			child.Info("token request failed for "+secrets[0], zap.Error(errors.New("401 with secret "+secrets[1])))
			child.Debug("posting", zap.String("url", secrets[2]), zap.Any("nested", map[string]any{"deep": []string{"x", secrets[4]}}))
			child.Warn("key only", zap.String("k", "prefix"+secrets[3]+"suffix"), zap.Stringer("s", stringer(secrets[1])))
			child.Error(fmt.Sprintf("%v", struct{ S string }{secrets[4]}))
			got := out.String()
			if strings.Count(got, "\n") != 4 {
				t.Fatalf("got %d lines, want 4:\n%s", strings.Count(got, "\n"), got)
			}
			for _, s := range secrets {
				if strings.Contains(got, s) || strings.Contains(got, jsonEscaped(s)) {
					t.Errorf("log output carries secret %q:\n%s", s, got)
				}
			}
			if !strings.Contains(got, "******") {
				t.Errorf("got no redaction marker in:\n%s", got)
			}
		})
	}
}

type stringer string

func (s stringer) String() string { return string(s) }

func TestIDNumbersMaskedInLogLines(t *testing.T) {
	var out bytes.Buffer
	log, err := New(Options{Format: "json", Out: &out})
	if err != nil {
		t.Fatal(err)
	}
	log.Info("roster entry 11010519491231002X at enterprise", zap.String("cert", "T11010519491231002X"), zap.String("uscc", "91350100M000100Y43"))
	got := out.String()
	if strings.Contains(got, "11010519491231002X") {
		t.Fatalf("full ID number in log: %s", got)
	}
	if !strings.Contains(got, "110105********002X") || !strings.Contains(got, "T110105********002X") {
		t.Fatalf("got %s, want masked ID and certificate number", got)
	}
	if !strings.Contains(got, "91350100M000100Y43") {
		t.Fatalf("USCC was masked: %s", got)
	}
}

func TestMaskID(t *testing.T) {
	tests := []struct{ in, want string }{
		{"35058219900101123X", "350582********123X"},
		{"350582900101123", "350582*****1123"},
		{"12345", "*****"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := MaskID(tt.in); got != tt.want {
			t.Errorf("MaskID(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got, want := MaskCertNo("T35058219900101123X"), "T350582********123X"; got != want {
		t.Errorf("MaskCertNo = %q, want %q", got, want)
	}
	if got, want := MaskCertNo("闽安监2015-0042"), "闽安监2015-0042"; got != want {
		t.Errorf("MaskCertNo = %q, want %q", got, want)
	}
}

func TestMaskIDsInTextLeavesOtherNumbers(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"bad check digit kept", "11010519491231002Y", "11010519491231002Y"},
		{"longer digit run kept", "9911010519491231002X", "9911010519491231002X"},
		{"lower-case x", "id=11010519491231002x.", "id=110105********002x."},
		{"two ids", "11010519491231002X,11010519491231002X", "110105********002X,110105********002X"},
		{"chinese around", "身份证11010519491231002X有误", "身份证110105********002X有误"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MaskIDsInText(tt.in); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func FuzzMaskIDsInText(f *testing.F) {
	f.Add("11010519491231002X")
	f.Add("T11010519491231002x 身份证")
	f.Fuzz(func(t *testing.T, s string) {
		got := MaskIDsInText(s)
		if len(got) != len(s) {
			t.Fatalf("length changed: %q -> %q", s, got)
		}
		if MaskIDsInText(got) != got {
			t.Fatalf("not idempotent: %q", got)
		}
	})
}

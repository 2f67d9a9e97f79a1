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

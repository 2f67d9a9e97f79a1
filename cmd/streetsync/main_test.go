package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// runCLI runs the command line in-process and returns exit status, stdout and stderr.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func setExampleEnv(t *testing.T) {
	for k, v := range map[string]string{
		"REDIS_PASSWORD": "", "QZ_APP_KEY": "demo-app", "QZ_APP_SECRET": "qz-secret-value-1",
		"TZ_CLIENT_ID": "demo-client", "TZ_CLIENT_SECRET": "tz-secret-value-1",
		"ALERT_WEBHOOK_URL": "https://hooks.example/streetsync?key=webhook-key-123456",
		"CONSOLE_TOKEN":     "console-token-0123456789",
	} {
		t.Setenv(k, v)
	}
}

func TestConfigCheckExampleExitsZeroAndMasksSecrets(t *testing.T) {
	setExampleEnv(t)
	code, out, errOut := runCLI(t, "config", "check", "--config", "../../config.example.yaml")
	if code != exitOK {
		t.Fatalf("exit %d, want 0; stderr: %s", code, errOut)
	}
	for _, secret := range []string{"qz-secret-value-1", "tz-secret-value-1", "webhook-key-123456", "console-token-0123456789"} {
		if strings.Contains(out+errOut, secret) {
			t.Errorf("output carries secret %q", secret)
		}
	}
	if !strings.Contains(out, "appSecret: '******'") {
		t.Errorf("effective config does not show the masked secret:\n%s", out)
	}
}

func TestConfigCheckUnknownKeyExitsTwo(t *testing.T) {
	code, _, errOut := runCLI(t, "config", "check", "--config", "../../internal/config/testdata/unknown_key.yaml")
	if code != exitUsage {
		t.Fatalf("exit %d, want 2", code)
	}
	if !strings.Contains(errOut, "第 4 行 redis.adress") {
		t.Errorf("stderr %q does not name key and line", errOut)
	}
}

func TestConfigCheckThreeMistakesJSON(t *testing.T) {
	code, out, _ := runCLI(t, "--format", "json", "config", "check", "--config", "../../internal/config/testdata/three_mistakes.yaml")
	if code != exitUsage {
		t.Fatalf("exit %d, want 2", code)
	}
	var doc struct {
		Valid    bool `json:"valid"`
		Problems []struct {
			Line int    `json:"line"`
			Key  string `json:"key"`
		} `json:"problems"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("stdout is not one JSON document: %v\n%s", err, out)
	}
	if doc.Valid || len(doc.Problems) != 3 {
		t.Fatalf("got valid=%v with %d problems, want 3: %s", doc.Valid, len(doc.Problems), out)
	}
}

func TestFormatFlagAnywhereAndBadUsage(t *testing.T) {
	code, out, _ := runCLI(t, "version", "--format", "json")
	if code != exitOK || !json.Valid([]byte(out)) {
		t.Fatalf("version --format json: exit %d, out %q", code, out)
	}
	if code, _, _ := runCLI(t, "no-such-command"); code != exitUsage {
		t.Errorf("unknown command: exit %d, want 2", code)
	}
	if code, _, _ := runCLI(t, "version", "--format", "xml"); code != exitUsage {
		t.Errorf("bad --format: exit %d, want 2", code)
	}
	if code, _, _ := runCLI(t, "config", "check", "--config", "/nonexistent.yaml"); code != exitUsage {
		t.Errorf("missing config file: exit %d, want 2", code)
	}
}

// config check masks the credentials an address or a base URL carries and warns — exit 0, a
// line starting 警告 — about a plain-HTTP platform and an over-wide trusted-proxy network.
func TestConfigCheckMasksURLCredentialsAndWarns(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	writeFile(t, path, `redis: {addr: "redis-pass-77@127.0.0.1:6379"}
quanzhou: {baseURL: "https://qzuser:qz-pass-99@qz.example/gw/openapi/v1", appKey: k, appSecret: qz-secret-value-1}
specialOps: {baseURL: "http://tzzy.example/share", clientID: c, clientSecret: tz-secret-value-1}
console: {token: console-token-0123456789, trustedProxies: [0.0.0.0/0, 127.0.0.1]}
`)
	code, out, errOut := runCLI(t, "config", "check", "--config", path)
	if code != exitOK {
		t.Fatalf("exit %d, want 0; stderr: %s", code, errOut)
	}
	for _, secret := range []string{"redis-pass-77", "qz-pass-99", "qzuser", "qz-secret-value-1"} {
		if strings.Contains(out+errOut, secret) {
			t.Errorf("config check shows %q:\n%s\n%s", secret, out, errOut)
		}
	}
	var warnings []string
	for _, line := range strings.Split(errOut, "\n") {
		if strings.HasPrefix(line, "警告：") {
			warnings = append(warnings, line)
		}
	}
	if len(warnings) != 2 || !strings.Contains(warnings[0], "specialOps.baseURL：平台地址使用明文 HTTP") ||
		!strings.Contains(warnings[1], "console.trustedProxies[0]：受信任的代理网段 0.0.0.0/0 过宽") {
		t.Errorf("warnings %q, want the plain-HTTP platform and 0.0.0.0/0", warnings)
	}
	if !strings.Contains(out, "https://******@qz.example/gw/openapi/v1") || !strings.Contains(out, "addr: '******@127.0.0.1:6379'") {
		t.Errorf("the effective configuration does not show the masked URL and address:\n%s", out)
	}

	code, out, _ = runCLI(t, "--format", "json", "config", "check", "--config", path)
	var doc struct {
		Valid    bool `json:"valid"`
		Warnings []struct {
			Key     string `json:"key"`
			Message string `json:"message"`
		} `json:"warnings"`
	}
	if err := json.Unmarshal([]byte(out), &doc); code != exitOK || err != nil || !doc.Valid || len(doc.Warnings) != 2 {
		t.Errorf("--format json: exit %d, %+v (%v), want valid with 2 warnings\n%s", code, doc, err, out)
	}
	if strings.Contains(out, "qz-pass-99") || strings.Contains(out, "redis-pass-77") {
		t.Errorf("--format json shows a password:\n%s", out)
	}
}

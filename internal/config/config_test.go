package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// exampleEnv is the environment the README tells a newcomer to set for config.example.yaml.
var exampleEnv = map[string]string{
	"REDIS_PASSWORD":    "",
	"QZ_APP_KEY":        "demo-app",
	"QZ_APP_SECRET":     "qz-secret-value",
	"TZ_CLIENT_ID":      "demo-client",
	"TZ_CLIENT_SECRET":  "tz-secret-value",
	"ALERT_WEBHOOK_URL": "https://hooks.example/streetsync?key=abcdef123456",
	"CONSOLE_TOKEN":     "console-token-0123456789",
}

func lookupIn(env map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := env[k]; return v, ok }
}

func parseFile(t *testing.T, path string, env map[string]string) (*Config, error) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return Parse(path, raw, lookupIn(env))
}

func problemsOf(t *testing.T, err error) []Problem {
	t.Helper()
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("got error %v, want *config.Error", err)
	}
	return ce.Problems
}

func TestExampleConfigLoads(t *testing.T) {
	cfg, err := parseFile(t, "../../config.example.yaml", exampleEnv)
	if err != nil {
		t.Fatalf("config.example.yaml: %v", err)
	}
	if got, want := cfg.Quanzhou.AppSecret.Reveal(), "qz-secret-value"; got != want {
		t.Errorf("appSecret = %q, want %q", got, want)
	}
	if got, want := cfg.Retry.MaxDelay.D(), 6*time.Hour; got != want {
		t.Errorf("retry.maxDelay = %v, want %v", got, want)
	}
	if got := cfg.Catalog.Items; len(got) != 1 || got[0].Code != "0104" || got[0].Aliases[0] != "电缆作业" {
		t.Errorf("catalog.items = %+v", got)
	}
	if got := cfg.Alerts.Channels[0].URL.Reveal(); got != exampleEnv["ALERT_WEBHOOK_URL"] {
		t.Errorf("channel url = %q", got)
	}
}

// Every key of the schema appears in config.example.yaml, so the example cannot rot.
func TestExampleConfigHasEveryKey(t *testing.T) {
	raw, err := os.ReadFile("../../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text := string(raw)
	// email keys are shown commented out in the example.
	for _, key := range schemaKeys(Default()) {
		leaf := key[strings.LastIndex(key, ".")+1:]
		if !strings.Contains(text, leaf+":") {
			t.Errorf("config.example.yaml lacks key %s", key)
		}
	}
}

func schemaKeys(v any) []string {
	out, err := yaml.Marshal(v)
	if err != nil {
		panic(err)
	}
	var m map[string]any
	_ = yaml.Unmarshal(out, &m)
	var keys []string
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		for k, v := range m {
			if sub, ok := v.(map[string]any); ok {
				walk(prefix+k+".", sub)
				continue
			}
			keys = append(keys, prefix+k)
		}
	}
	walk("", m)
	for _, k := range []string{"smtpHost", "smtpPort", "username", "password", "from", "to", "name", "secret", "url"} {
		keys = append(keys, "alerts.channels[]."+k)
	}
	return keys
}

func TestDefaultsApplyAndExplicitEmptyWins(t *testing.T) {
	env := map[string]string{"QZ_APP_KEY": "k", "QZ_APP_SECRET": "secret-1", "TZ_CLIENT_ID": "c", "TZ_CLIENT_SECRET": "secret-2", "CONSOLE_TOKEN": "0123456789abcdef"}
	cfg, err := parseFile(t, "testdata/minimal.yaml", env)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Redis.Addr != "127.0.0.1:6379" || cfg.Redis.Prefix != "streetsync:" || cfg.Retry.MaxAttempts != 12 || cfg.Schedule.Alarms != "0 */5 * * * *" {
		t.Errorf("defaults not applied: %+v", cfg)
	}
	raw, _ := os.ReadFile("testdata/minimal.yaml")
	cfg, err = Parse("x", append(raw, []byte("redis:\n  addr: \"\"\n")...), lookupIn(env))
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Redis.Embedded() {
		t.Errorf("redis.addr \"\" should select the embedded Redis, got %q", cfg.Redis.Addr)
	}
}

func TestUnknownKeyNamesKeyAndLine(t *testing.T) {
	_, err := parseFile(t, "testdata/unknown_key.yaml", nil)
	ps := problemsOf(t, err)
	if len(ps) != 1 {
		t.Fatalf("got %d problems %v, want 1", len(ps), ps)
	}
	p := ps[0]
	if p.Key != "redis.adress" || p.Line != 4 || !strings.Contains(p.Message, "addr") {
		t.Errorf("got %+v, want redis.adress at line 4 suggesting addr", p)
	}
	if !strings.Contains(err.Error(), "第 4 行 redis.adress") {
		t.Errorf("message %q does not name line and key", err.Error())
	}
}

func TestThreeMistakesThreeMessages(t *testing.T) {
	_, err := parseFile(t, "testdata/three_mistakes.yaml", nil)
	ps := problemsOf(t, err)
	want := []struct {
		key  string
		line int
	}{{"quanzhou.baseURL", 2}, {"quanzhou.rateLimit", 5}, {"schedule.alarms", 11}}
	if len(ps) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%v", len(ps), len(want), err)
	}
	for i, w := range want {
		if ps[i].Key != w.key || ps[i].Line != w.line {
			t.Errorf("problem %d: got %s at line %d, want %s at line %d", i, ps[i].Key, ps[i].Line, w.key, w.line)
		}
	}
}

func TestEveryProblemReportedAtOnce(t *testing.T) {
	_, err := parseFile(t, "testdata/many_mistakes.yaml", nil)
	ps := problemsOf(t, err)
	got := map[string]bool{}
	for _, p := range ps {
		got[p.Key] = true
	}
	for _, key := range []string{
		"region.code", "redis.prefix", "ledger.driver", "quanzhou.timeout", "specialOps.rateLimit", "specialOps.maxRegistrationsPerRun",
		"retry.maxAttempts", "retry.maxDelay", "alerts.channels[0].type", "alerts.channels[1].smtpHost",
		"alerts.channels[1].smtpPort", "alerts.channels[1].from", "alerts.channels[1].to",
		"console.listen", "console.token", "console.trustedProxies[2]",
	} {
		if !got[key] {
			t.Errorf("no problem reported for %s; got:\n%v", key, err)
		}
	}
}

func TestUnsetEnvironmentVariableIsNamed(t *testing.T) {
	_, err := parseFile(t, "testdata/minimal.yaml", map[string]string{"QZ_APP_KEY": "k", "TZ_CLIENT_ID": "c", "TZ_CLIENT_SECRET": "secret-2", "CONSOLE_TOKEN": "0123456789abcdef"})
	if err == nil || !strings.Contains(err.Error(), "环境变量 QZ_APP_SECRET 未设置") {
		t.Fatalf("got %v, want the unset variable named", err)
	}
}

// An expanded value is data: a secret with YAML syntax in it stays one string.
func TestExpandedValueIsNotParsedAsYAML(t *testing.T) {
	env := map[string]string{"QZ_APP_KEY": "k", "QZ_APP_SECRET": "a: [b, {c", "TZ_CLIENT_ID": "c", "TZ_CLIENT_SECRET": "#not-a-comment", "CONSOLE_TOKEN": "0123456789abcdef"}
	cfg, err := parseFile(t, "testdata/minimal.yaml", env)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Quanzhou.AppSecret.Reveal() != "a: [b, {c" || cfg.SpecialOps.ClientSecret.Reveal() != "#not-a-comment" {
		t.Errorf("got %q and %q", cfg.Quanzhou.AppSecret.Reveal(), cfg.SpecialOps.ClientSecret.Reveal())
	}
}

func TestSecretNeverPrints(t *testing.T) {
	s := Secret("hunter2-secret")
	for _, got := range []string{fmt.Sprint(s), fmt.Sprintf("%v %s %+v %#v", s, s, s, s), mustJSON(t, s), mustYAML(t, s)} {
		if strings.Contains(got, "hunter2") {
			t.Errorf("secret printed: %s", got)
		}
	}
	cfg, err := parseFile(t, "../../config.example.yaml", exampleEnv)
	if err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{mustJSON(t, cfg), mustYAML(t, cfg)} {
		for _, secret := range cfg.Secrets() {
			if strings.Contains(out, secret) {
				t.Errorf("rendered config carries secret %q", secret)
			}
		}
	}
	if got := cfg.Secrets(); len(got) < 4 {
		t.Errorf("Secrets() = %d values, want the app secret, client secret, token and webhook URL and key", len(got))
	}
}

func mustJSON(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func mustYAML(t *testing.T, v any) string {
	b, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestTrustedProxiesParse(t *testing.T) {
	c := Console{TrustedProxies: []string{"127.0.0.1", " 10.0.0.0/8 ", "::1", "::ffff:192.168.1.1", "192.168.1.7/24", "nginx.local"}}
	var got []string
	for _, p := range c.Proxies() {
		got = append(got, p.String())
	}
	if want := "127.0.0.1/32 10.0.0.0/8 ::1/128 192.168.1.1/32 192.168.1.0/24"; strings.Join(got, " ") != want {
		t.Errorf("Proxies() = %v, want %s (the bad entry left to validation)", got, want)
	}
}

func TestScheduleLockTTLIsALeaseWithinBounds(t *testing.T) {
	raw, err := os.ReadFile("testdata/minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"QZ_APP_KEY": "k", "QZ_APP_SECRET": "secret-1", "TZ_CLIENT_ID": "c", "TZ_CLIENT_SECRET": "secret-2",
		"CONSOLE_TOKEN": "0123456789abcdef"}
	cfg, err := Parse("minimal.yaml", raw, lookupIn(env))
	if err != nil || cfg.Schedule.LockTTL.D() != 30*time.Second {
		t.Fatalf("default lockTTL = %v, %v; want 30s", cfg.Schedule.LockTTL, err)
	}
	for _, tc := range []struct {
		value string
		ok    bool
	}{{"45s", true}, {"1s", true}, {"1h", true}, {"0s", false}, {"500ms", false}, {"2h", false}, {"-30s", false}} {
		doc := string(raw) + "schedule:\n  lockTTL: " + tc.value + "\n"
		cfg, err := Parse("lock.yaml", []byte(doc), lookupIn(env))
		if tc.ok {
			if err != nil || cfg.Schedule.LockTTL.String() != (func() string { d, _ := time.ParseDuration(tc.value); return d.String() })() {
				t.Errorf("lockTTL %s: got %v, %v; want it accepted", tc.value, cfg, err)
			}
			continue
		}
		var ce *Error
		if !errors.As(err, &ce) || len(ce.Problems) != 1 || ce.Problems[0].Key != "schedule.lockTTL" || ce.Problems[0].Line == 0 ||
			!strings.Contains(ce.Problems[0].Message, "1s 到 1h0m0s 之间") {
			t.Errorf("lockTTL %s: got %v, want one problem naming schedule.lockTTL and its line", tc.value, err)
		}
	}
}

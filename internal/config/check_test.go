package config

import (
	"strings"
	"testing"
)

func TestMaskUserinfo(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"https://qzuser:qz-pass-1@qz.example/gw/openapi/v1", "https://******@qz.example/gw/openapi/v1"},
		{"https://token-only@qz.example", "https://******@qz.example"},
		{"redis://default:redis-pass@10.0.0.5:6379/0", "redis://******@10.0.0.5:6379/0"},
		{"user:redis-pass@10.0.0.5:6379", "******@10.0.0.5:6379"},
		{"us@r:p@ss@10.0.0.5:6379", "******@10.0.0.5:6379"},
		{"https://qz.example/gw/a@b", "https://qz.example/gw/a@b"},
		{"https://qz.example/gw?x=a@b", "https://qz.example/gw?x=a@b"},
		{"10.0.0.5:6379", "10.0.0.5:6379"},
		{"", ""},
	} {
		if got := MaskUserinfo(c.in); got != c.want {
			t.Errorf("MaskUserinfo(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// The configuration with passwords in an address and in the base URLs: config check shows
// neither (Display, and validation's messages), the log redaction knows both (Secrets), and the
// plain-HTTP platform and the over-wide proxy networks are warned about, each on its line.
const credentialsInURLs = `redis:
  addr: "redis-pass-77@10.0.0.5:6379"
  addrs: ["sentinel-pass-88@10.0.0.6:26379"]
quanzhou:
  baseURL: https://qzuser:qz-pass-99@qz.example/gw/openapi/v1
  appKey: k
  appSecret: qz-secret-value
specialOps:
  baseURL: http://tzzy.example/share
  clientID: c
  clientSecret: tz-secret-value
console:
  token: console-token-0123456789
  trustedProxies: [0.0.0.0/0, "::/0", 10.0.0.0/8, 172.16.0.0/16, 192.168.1.10, "::ffff:0:0/96", "2001:db8::/32", "2001:db8:1::/64"]
`

func TestConfigCheckMasksURLCredentialsAndWarns(t *testing.T) {
	cfg, err := Parse("check.yaml", []byte(credentialsInURLs), lookupIn(nil))
	if err != nil {
		t.Fatal(err)
	}
	shown := cfg.Display()
	out := mustYAML(t, shown) + mustJSON(t, shown)
	for _, secret := range []string{"redis-pass-77", "sentinel-pass-88", "qz-pass-99", "qzuser"} {
		if strings.Contains(out, secret) {
			t.Errorf("the displayed configuration shows %q:\n%s", secret, out)
		}
	}
	if !strings.Contains(out, "https://******@qz.example/gw/openapi/v1") || !strings.Contains(out, "******@10.0.0.5:6379") {
		t.Errorf("the displayed configuration lost where it points:\n%s", out)
	}
	if cfg.Redis.Addr != "redis-pass-77@10.0.0.5:6379" {
		t.Errorf("Display changed the configuration itself: %q", cfg.Redis.Addr)
	}
	secrets := strings.Join(cfg.Secrets(), " ")
	for _, want := range []string{"redis-pass-77", "sentinel-pass-88", "qz-pass-99"} {
		if !strings.Contains(secrets, want) {
			t.Errorf("Secrets() lacks %q, so logs would show it", want)
		}
	}

	got := map[string]string{}
	for _, w := range cfg.Warnings() {
		got[w.Key] = w.String()
	}
	want := map[string]string{
		"specialOps.baseURL":        "第 9 行 specialOps.baseURL：平台地址使用明文 HTTP",
		"console.trustedProxies[0]": "0.0.0.0/0 过宽（宽于 /16）",
		"console.trustedProxies[1]": "::/0 过宽（宽于 /48）",
		"console.trustedProxies[2]": "10.0.0.0/8 过宽（宽于 /16）",
		"console.trustedProxies[5]": "::ffff:0.0.0.0/96 过宽（宽于 /16）",
		"console.trustedProxies[6]": "2001:db8::/32 过宽（宽于 /48）",
	}
	for key, text := range want {
		if !strings.Contains(got[key], text) {
			t.Errorf("warning for %s: %q, want it to say %q", key, got[key], text)
		}
	}
	if len(got) != len(want) {
		t.Errorf("warnings %v, want exactly %d (a /16, one address and a /64 are fine; https is fine)", got, len(want))
	}
	for _, w := range cfg.Warnings() {
		if strings.HasPrefix(w.Key, "console.trustedProxies") && w.Line != 14 {
			t.Errorf("warning %s on line %d, want 14", w.Key, w.Line)
		}
	}
}

func TestValidationNeverEchoesAPasswordInAnAddress(t *testing.T) {
	bad := strings.Replace(credentialsInURLs, `addr: "redis-pass-77@10.0.0.5:6379"`, `addr: "redis-pass-77@10.0.0.5"`, 1)
	bad = strings.Replace(bad, "https://qzuser:qz-pass-99@qz.example/gw/openapi/v1", "ftp://qzuser:qz-pass-99@qz.example/gw", 1)
	_, err := Parse("bad.yaml", []byte(bad), lookupIn(nil))
	if err == nil {
		t.Fatal("an address without a port and an ftp:// base URL passed")
	}
	msg := err.Error()
	for _, secret := range []string{"redis-pass-77", "qz-pass-99"} {
		if strings.Contains(msg, secret) {
			t.Errorf("the problems show %q:\n%s", secret, msg)
		}
	}
	if !strings.Contains(msg, "redis.addr") || !strings.Contains(msg, "quanzhou.baseURL") {
		t.Errorf("the problems do not name both keys:\n%s", msg)
	}
}

func TestExampleConfigHasNoWarnings(t *testing.T) {
	cfg, err := parseFile(t, "../../config.example.yaml", exampleEnv)
	if err != nil {
		t.Fatal(err)
	}
	if w := cfg.Warnings(); len(w) != 0 {
		t.Errorf("config.example.yaml warns: %v", w)
	}
}

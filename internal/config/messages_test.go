package config

import (
	"os"
	"strings"
	"testing"
)

// A tab in the indentation is the usual mistake of a file edited in Notepad: each such line gets
// the hint with its number, not the parser's "found character that cannot start any token".
func TestTabIndentationNamesTheLineAndTheFix(t *testing.T) {
	raw := "region:\n  code: \"350582006\"\nredis:\n\taddr: 127.0.0.1:6379\n  prefix: x\nconsole:\n \t listen: 127.0.0.1:8080\n"
	_, err := Parse("config.yaml", []byte(raw), lookupIn(nil))
	ps := problemsOf(t, err)
	if len(ps) != 2 || ps[0].Line != 4 || ps[1].Line != 7 {
		t.Fatalf("got %v, want one problem on each of lines 4 and 7", ps)
	}
	for _, p := range ps {
		if !strings.Contains(p.Message, "不要用 Tab 缩进") {
			t.Errorf("line %d: %q lacks the hint 不要用 Tab 缩进", p.Line, p.Message)
		}
	}
	if msg := err.Error(); !strings.Contains(msg, "第 4 行") || strings.Contains(msg, "cannot start any token") {
		t.Errorf("message %q should name line 4 and leave out the parser's English", msg)
	}
}

// A YAML mistake that is not a tab keeps the parser's own words (they name the line).
func TestOtherYAMLMistakesKeepTheParserMessage(t *testing.T) {
	_, err := Parse("config.yaml", []byte("redis: [\n"), lookupIn(nil))
	ps := problemsOf(t, err)
	if len(ps) != 1 || !strings.Contains(ps[0].Message, "不是有效的 YAML") {
		t.Fatalf("got %v, want one 不是有效的 YAML problem", ps)
	}
}

// The example with none of its seven variables set: seven problems, one per variable, each saying
// how to set it — not thirteen (the empty value's own complaints are left out).
func TestEachMissingVariableIsOneProblem(t *testing.T) {
	_, err := parseFile(t, "../../config.example.yaml", map[string]string{})
	ps := problemsOf(t, err)
	var names []string
	for _, p := range ps {
		if !strings.Contains(p.Message, "未设置") || !strings.Contains(p.Message, "export ") {
			t.Errorf("problem %v is not a missing variable with the fix", p)
		}
		names = append(names, p.Key)
	}
	want := []string{"redis.password", "quanzhou.appKey", "quanzhou.appSecret", "specialOps.clientID",
		"specialOps.clientSecret", "alerts.channels[0].url", "console.token"}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("problems for %v, want %v", names, want)
	}
}

// A variable that is set but too short is still reported: only an unset one stands alone.
func TestSetButInvalidValueIsStillReported(t *testing.T) {
	env := map[string]string{}
	for k, v := range exampleEnv {
		env[k] = v
	}
	env["CONSOLE_TOKEN"] = "short"
	_, err := parseFile(t, "../../config.example.yaml", env)
	ps := problemsOf(t, err)
	if len(ps) != 1 || ps[0].Key != "console.token" || !strings.Contains(ps[0].Message, "太短") {
		t.Errorf("got %v, want console.token 太短", ps)
	}
}

func TestOperatorName(t *testing.T) {
	cfg, err := parseFile(t, "../../config.example.yaml", exampleEnv)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Operator.Name != "" {
		t.Errorf("example operator.name = %q, want empty", cfg.Operator.Name)
	}
	raw := "operator:\n  name: 张三\n"
	minimalYAML := func(t *testing.T) string {
		t.Helper()
		b, err := os.ReadFile("testdata/minimal.yaml")
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	env := map[string]string{"QZ_APP_KEY": "k", "QZ_APP_SECRET": "secret-1", "TZ_CLIENT_ID": "c", "TZ_CLIENT_SECRET": "secret-2", "CONSOLE_TOKEN": "0123456789abcdef"}
	min, err := parseFile(t, "testdata/minimal.yaml", env)
	if err != nil || min.Operator.Name != "" {
		t.Fatalf("minimal: %v %+v", err, min)
	}
	cfg, err = Parse("x", []byte(minimalYAML(t)+raw), lookupIn(env))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Operator.Name != "张三" {
		t.Errorf("operator.name = %q, want 张三", cfg.Operator.Name)
	}
	_, err = Parse("x", []byte(minimalYAML(t)+"operator:\n  name: "+strings.Repeat("长", 51)+"\n"), lookupIn(env))
	if ps := problemsOf(t, err); len(ps) != 1 || ps[0].Key != "operator.name" {
		t.Errorf("a 51-character name: got %v, want one operator.name problem", ps)
	}
}

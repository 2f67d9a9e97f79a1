package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMockServePrintsOneJSONLineAndServesUntilStopped(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	s := startCLI(t, "mock", "serve", "--listen", "127.0.0.1:0", "--enterprises", "20", "--format", "json")
	waitFor(t, 20*time.Second, "the endpoints line", func() bool { return strings.Contains(s.out.String(), "\n") })
	line := s.out.String()
	if strings.Count(line, "\n") != 1 {
		t.Fatalf("stdout has %d lines, want exactly one:\n%s", strings.Count(line, "\n"), line)
	}
	var doc map[string]map[string]string
	if err := json.Unmarshal([]byte(line), &doc); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, line)
	}
	qz, tz := doc["quanzhou"], doc["specialOps"]
	if len(doc) != 2 || qz["baseURL"] == "" || qz["appKey"] == "" || qz["appSecret"] == "" ||
		tz["baseURL"] == "" || tz["clientID"] == "" || tz["clientSecret"] == "" || len(qz) != 3 || len(tz) != 3 {
		t.Fatalf("got %s, want {quanzhou: {baseURL, appKey, appSecret}, specialOps: {baseURL, clientID, clientSecret}}", line)
	}
	// The platform answers (an unauthenticated call is refused, in the platform's own way).
	resp, err := http.Get(tz["baseURL"] + "/api/v2/certificates/changes")
	if err != nil {
		t.Fatalf("special-operations mock not reachable: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("unauthenticated call: got HTTP %d, want 401", resp.StatusCode)
	}
	if code := s.stop(t, 10*time.Second); code != exitOK {
		t.Fatalf("exit %d after stop, want 0; stderr: %s", code, s.err.String())
	}
}

func TestMockServeTextNamesCredentials(t *testing.T) {
	s := startCLI(t, "mock", "serve", "--listen", "127.0.0.1:0", "--enterprises", "10", "--seed", "7", "--latency", "1ms")
	waitFor(t, 20*time.Second, "the endpoints", func() bool { return strings.Contains(s.out.String(), "export QZ_APP_KEY") })
	out := s.out.String()
	for _, want := range []string{"模拟平台已启动", "数据种子 7", "/qz/gw/openapi/v1", "/tz/share", "demo-app", "demo-client"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if code := s.stop(t, 10*time.Second); code != exitOK {
		t.Fatalf("exit %d, want 0", code)
	}
}

func TestMockServeBadFlagsExitTwo(t *testing.T) {
	for _, args := range [][]string{
		{"mock", "serve", "--fail-rate", "1.5"},
		{"mock", "serve", "--enterprises", "-1"},
		{"mock", "serve", "--latency", "fast"},
		{"mock", "serve", "extra-arg"},
	} {
		if code, _, errOut := runCLI(t, args...); code != exitUsage {
			t.Errorf("%v: exit %d, want 2; stderr: %s", args, code, errOut)
		}
	}
}

func TestMockServeListenFailureExitsThree(t *testing.T) {
	if code, _, _ := runCLI(t, "mock", "serve", "--listen", "256.0.0.1:1", "--enterprises", "5"); code != exitRuntime {
		t.Errorf("exit %d, want 3", code)
	}
}

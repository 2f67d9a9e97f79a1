package main

import (
	"strings"
	"testing"

	"streetsync/internal/jobs"
)

func TestSyncAllAgainstTheMocks(t *testing.T) {
	e := newEnv(t, 20, "")
	var sums []jobs.Summary
	e.jsonCLI(t, exitOK, &sums, "sync", "all")
	if len(sums) != len(jobs.Names) {
		t.Fatalf("sync all: got %d summaries, want %d", len(sums), len(jobs.Names))
	}
	for i, s := range sums {
		if s.Job != jobs.Names[i] {
			t.Errorf("summary %d is for %q, want %q", i, s.Job, jobs.Names[i])
		}
	}
	if sums[0].Pulled == 0 {
		t.Errorf("enterprises pulled nothing from a seeded platform: %+v", sums[0])
	}
	var one jobs.Summary
	e.jsonCLI(t, exitOK, &one, "sync", "enterprises", "--full")
	if one.Job != jobs.Enterprises {
		t.Errorf("sync enterprises: got job %q", one.Job)
	}
	code, out, _ := e.cli(t, "sync", "alarms")
	if code != exitOK || !strings.Contains(out, "监测预警报警（alarms）：成功。拉取") {
		t.Errorf("text sync: exit %d, stdout %q", code, out)
	}
}

func TestSyncErrors(t *testing.T) {
	e := newEnv(t, 5, "")
	for _, tc := range []struct {
		rule string
		args []string
		want int
	}{
		{"unknown job", []string{"sync", "everything"}, exitUsage},
		{"job required", []string{"sync"}, exitUsage},
		{"one job only", []string{"sync", "alarms", "enterprises"}, exitUsage},
	} {
		if code, _, errOut := e.cli(t, tc.args...); code != tc.want {
			t.Errorf("%s: exit %d, want %d; stderr: %s", tc.rule, code, tc.want, errOut)
		}
	}
	// Wrong credentials: the platform refuses; no retry fixes that.
	e.ep.AppSecret = "wrong-secret-value"
	e.writeConfig(t, "")
	code, _, errOut := e.cli(t, "--format", "json", "sync", "enterprises")
	if code != exitRuntime {
		t.Errorf("refused credentials: exit %d, want 3; stderr: %s", code, errOut)
	}
}

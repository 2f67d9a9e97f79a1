package main

import (
	"os"
	"regexp"
	"testing"
)

// The release toolchain is named once for every build: go.mod's toolchain line, which the go
// command follows (GOTOOLCHAIN=auto, a stock Go's default) instead of a machine's own Go with its
// known vulnerabilities. CI's fuzzing and govulncheck name the same release.
func TestGoModNamesTheReleaseToolchain(t *testing.T) {
	read := func(path string) string {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	m := regexp.MustCompile(`(?m)^toolchain (go[0-9.]+)$`).FindStringSubmatch(read("../../go.mod"))
	if m == nil {
		t.Fatal("go.mod has no toolchain line: builds use whatever Go the machine has")
	}
	if m[1] != "go1.27.3" {
		t.Errorf("go.mod's toolchain is %s, want go1.27.3 (the patched release)", m[1])
	}
	release := regexp.MustCompile(`STREETSYNC_RELEASE_TOOLCHAIN:-(go[0-9.]+)`)
	for _, script := range []string{"../../.ci/vulncheck", "../../.ci/fuzz"} {
		if r := release.FindStringSubmatch(read(script)); r == nil || r[1] != m[1] {
			t.Errorf("%s uses %v, go.mod names %s", script, r, m[1])
		}
	}
}

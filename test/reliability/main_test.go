package reliability

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// binary is the streetsync executable under test, built once by TestMain.
var binary string

// TestMain builds the binary once, without -race (the subprocess is the system under test, not
// the race detector's; a race build would triple every timing), then runs the tests.
// STREETSYNC_BIN names a prebuilt binary instead (quick local iterations).
func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if b := os.Getenv("STREETSYNC_BIN"); b != "" {
		binary = b
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "streetsync-reliability-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	binary = filepath.Join(dir, "streetsync")
	build := exec.Command("go", "build", "-o", binary, "streetsync/cmd/streetsync")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build streetsync:", err)
		return 1
	}
	return m.Run()
}

// long reports whether the long variants run (STREETSYNC_LONG=1).
func long() bool { return os.Getenv("STREETSYNC_LONG") == "1" }

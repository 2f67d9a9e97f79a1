package main

import (
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"streetsync/internal/testutil"
)

// The README's newcomer path, walked as a script on a fresh directory with the commands taken
// from the README itself (its fenced blocks that start "# newcomer-path"), so that the README
// cannot drift from what works: mock serve --workbook, a config from the example, config check
// --probe, import, sync all, then run until the console answers.
//
// The binary is this package's own command line, run in-process (the build line is skipped). The
// test changes only what a shared test machine needs: free ports instead of 9090 and 8080, and
// the test's Redis under its own key prefix instead of 127.0.0.1:6379.
func TestReadmeNewcomerPath(t *testing.T) {
	blocks := newcomerBlocks(readFile(t, "../../README.md"))
	if len(blocks) != 2 {
		t.Fatalf("the README has %d newcomer-path blocks, want 2 (one per terminal)", len(blocks))
	}
	example, err := os.ReadFile("../../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "config.example.yaml"), string(example))
	t.Chdir(dir)
	conn, _ := testutil.Redis(t)

	mockAddr := ""      // where the mock platforms listen, once started
	configured := false // config.yaml was pointed at the test's Redis and a free console port
	ranCommands := map[string]bool{}
	for _, line := range append(blocks[0], blocks[1]...) {
		if mockAddr != "" {
			line = strings.ReplaceAll(line, "127.0.0.1:9090", mockAddr)
		}
		switch {
		case strings.HasPrefix(line, "go build "):
			continue // the command line under test is this package, in-process
		case strings.HasPrefix(line, "export "):
			for _, kv := range strings.Fields(strings.TrimPrefix(line, "export ")) {
				k, v, _ := strings.Cut(kv, "=")
				t.Setenv(k, v)
			}
			continue
		case !strings.HasPrefix(line, "./streetsync "):
			cmd := exec.Command("bash", "-c", line)
			cmd.Dir = dir
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%s: %v\n%s", line, err, out)
			}
			continue
		}
		if strings.ContainsAny(line, `"'$`) {
			t.Fatalf("%q: the newcomer path's streetsync commands are plain words", line)
		}
		args := strings.Fields(strings.TrimPrefix(line, "./streetsync "))
		ranCommands[args[0]] = true
		if !configured && fileExists(filepath.Join(dir, "config.yaml")) {
			pointConfigAtTestServices(t, filepath.Join(dir, "config.yaml"), testutil.RedisConfig(conn, conn.Prefix))
			configured = true
		}
		switch args[0] {
		case "mock":
			s := startCLI(t, append(args, "--listen", "127.0.0.1:0")...)
			re := regexp.MustCompile(`http://(127\.0\.0\.1:\d+)/qz/`)
			waitFor(t, 30*time.Second, "the mock platforms' base URLs", func() bool {
				if m := re.FindStringSubmatch(s.out.String()); m != nil {
					mockAddr = m[1]
				}
				return mockAddr != ""
			})
			if !strings.Contains(s.out.String(), "街道台账工作簿已写入 企业台账.xlsx") || !fileExists(filepath.Join(dir, "企业台账.xlsx")) {
				t.Fatalf("mock serve --workbook wrote no workbook:\n%s", s.out.String())
			}
		case "run":
			s := startCLI(t, args...)
			re := regexp.MustCompile(`控制台：(http://\S+/)`)
			var url string
			waitFor(t, 60*time.Second, "run's banner with the console URL", func() bool {
				if m := re.FindStringSubmatch(s.out.String()); m != nil {
					url = m[1]
				}
				return url != ""
			})
			if !strings.Contains(s.out.String(), "console.token") {
				t.Errorf("run's banner does not say how to log in:\n%s", s.out.String())
			}
			for _, path := range []string{"", "healthz"} {
				if code, body := httpGet(t, url+path); code != http.StatusOK {
					t.Errorf("GET %s%s: %d %s", url, path, code, body)
				}
			}
			if code := s.stop(t, 60*time.Second); code != exitOK {
				t.Errorf("run stopped with exit %d; stderr:\n%s", code, tail(s.err.String(), 2000))
			}
		default:
			code, out, errOut := runCLI(t, args...)
			if code != exitOK {
				t.Fatalf("%s: exit %d\nstdout: %s\nstderr: %s", line, code, tail(out, 2000), tail(errOut, 2000))
			}
			switch args[0] {
			case "config":
				if strings.Count(out, "✓") != 5 || strings.Contains(out, "✗") {
					t.Errorf("config check --probe: want five ✓ lines:\n%s", out)
				}
			case "import":
				if !strings.Contains(out, "导入完成") || !strings.Contains(out, "特种作业人员：新增") {
					t.Errorf("import of the generated workbook:\n%s", out)
				}
			}
		}
	}
	for _, want := range []string{"mock", "config", "import", "sync", "run"} {
		if !ranCommands[want] {
			t.Errorf("the newcomer path no longer runs `streetsync %s`", want)
		}
	}
}

// newcomerBlocks are the README's ```sh blocks whose first line starts "# newcomer-path", each
// as its command lines (comments dropped, backslash continuations joined).
func newcomerBlocks(readme string) [][]string {
	var blocks [][]string
	for _, part := range strings.Split(readme, "```sh\n")[1:] {
		body, _, _ := strings.Cut(part, "```")
		if !strings.HasPrefix(body, "# newcomer-path") {
			continue
		}
		body = strings.ReplaceAll(body, "\\\n", " ")
		var lines []string
		for _, l := range strings.Split(body, "\n") {
			l = strings.Join(strings.Fields(l), " ")
			if l != "" && !strings.HasPrefix(l, "#") {
				lines = append(lines, l)
			}
		}
		blocks = append(blocks, lines)
	}
	return blocks
}

// pointConfigAtTestServices replaces the example's redis section with the test's Redis (its own
// key prefix) and its console.listen with a free port.
func pointConfigAtTestServices(t *testing.T, path, redis string) {
	t.Helper()
	cfg := readFile(t, path)
	section := regexp.MustCompile(`(?s)\nredis:\n.*?\n\n`)
	if !section.MatchString(cfg) || !strings.Contains(cfg, "listen: 127.0.0.1:8080") {
		t.Fatalf("config.yaml no longer has the example's redis section and console.listen:\n%s", cfg)
	}
	cfg = section.ReplaceAllLiteralString(cfg, "\nredis: "+redis+"\n\n")
	cfg = strings.Replace(cfg, "listen: 127.0.0.1:8080", "listen: 127.0.0.1:0", 1)
	writeFile(t, path, cfg)
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	return resp.StatusCode, string(b)
}

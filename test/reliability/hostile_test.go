package reliability

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"streetsync/internal/testutil"
)

// quietSchedule switches every schedule off: the daemon does only what it is asked.
var quietSchedule = scheduleYAML(map[string]string{
	"enterprises": "-", "certificates": "-", "alarms": "-", "employments": "-", "alerts": "-"})

// endless is a reader of n bytes of b repeated, produced as it is read.
type endless struct {
	b []byte
	n int64
	i int64
}

func (e *endless) Read(p []byte) (int, error) {
	if e.i >= e.n {
		return 0, io.EOF
	}
	if int64(len(p)) > e.n-e.i {
		p = p[:e.n-e.i]
	}
	k := 0
	for k < len(p) {
		c := copy(p[k:], e.b[e.i%int64(len(e.b)):])
		k += c
		e.i += int64(c)
	}
	return k, nil
}

// TestConsoleSurvivesHostileRequests sends the running daemon's console oversized, malformed and
// crafted requests, with the right token (an attacker who has it, or a broken script). Each must
// be refused with a 4xx — never a 5xx, never accepted — without the daemon reading a huge body
// into memory; afterwards it is healthy and its peak memory is modest.
func TestConsoleSurvivesHostileRequests(t *testing.T) {
	t.Parallel()
	sec := newSecrets(t)
	p := startPlatforms(t, sec, platformOptions{Seed: 5, Enterprises: 10, Unlimited: true})
	in := newInstallation(t, p, sec, installOptions{Extra: quietSchedule})
	in.json(exitOK, time.Minute, nil, "import", in.workbook())
	in.json(exitOK, time.Minute, nil, "sync", "alarms")
	d := in.start("run")
	addr := d.consoleAddr(t, 30*time.Second)
	base := "http://" + addr
	bjid := openAlarms(in, 1)[0]

	jsonReq := func(method, path string, body io.Reader, size int64) *http.Request {
		req, err := http.NewRequest(method, base+path, body)
		if err != nil {
			t.Fatal(err)
		}
		req.ContentLength = size
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+sec.ConsoleToken)
		return req
	}
	str := func(method, path, body string) *http.Request {
		return jsonReq(method, path, strings.NewReader(body), int64(len(body)))
	}
	upload := func(size int) *http.Request {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		fw, _ := mw.CreateFormFile("file", "企业台账.xlsx")
		_, _ = io.Copy(fw, &endless{b: []byte("PK\x03\x04garbage"), n: int64(size)})
		mw.Close()
		req := jsonReq("POST", "/api/workbook/import", &b, int64(b.Len()))
		req.Header.Set("Content-Type", mw.FormDataContentType())
		return req
	}
	cases := []struct {
		rule string
		req  *http.Request
	}{
		{"64 MiB JSON body, chunked", jsonReq("POST", "/api/reconcile", &endless{b: []byte("          "), n: 64 << 20}, -1)},
		{"1 GiB announced, sent as read", jsonReq("POST", "/api/reconcile", &endless{b: []byte(`{"scope":"`), n: 1 << 30}, 1<<30)},
		{"workbook upload over the 20 MiB limit", upload(24 << 20)},
		{"truncated JSON", str("POST", "/api/reconcile", `{"scope":`)},
		{"JSON nested 200 000 deep", str("POST", "/api/reconcile", strings.Repeat("[", 200000))},
		{"an array instead of an object", str("POST", "/api/reconcile", `["all"]`)},
		{"an unknown scope", str("POST", "/api/reconcile", `{"scope":"everything"}`)},
		{"invalid UTF-8", str("POST", "/api/reconcile", "{\"scope\":\"\xff\xfe\"}")},
		{"an unknown field", str("POST", "/api/reconcile", `{"scope":"all","drop":"table"}`)},
		{"feedback with a 2 MiB note", str("POST", "/api/alarms/"+bjid+"/feedback",
			`{"status":"1","handler":"x","note":"`+strings.Repeat("很", 700000)+`"}`)},
		{"feedback with a bad status", str("POST", "/api/alarms/"+bjid+"/feedback", `{"status":"9","handler":"x","note":"y"}`)},
		{"feedback on an alarm that does not exist", str("POST", "/api/alarms/NOPE%00%2F..%2F/feedback", `{"status":"1","handler":"x","note":"y"}`)},
		{"a job that does not exist", str("POST", "/api/jobs/run", `{"job":"../../etc/passwd"}`)},
		{"silence until the year 10000", str("POST", "/api/alerts/silence", `{"id":"x","until":"10000-01-01T00:00:00Z","reason":"r"}`)},
		{"retry of a million ids", str("POST", "/api/queue/retry", `{"ids":[`+strings.TrimSuffix(strings.Repeat(`"x",`, 300000), ",")+`]}`)},
		{"workbook upload that is not a workbook", func() *http.Request { return upload(1000) }()},
		{"multipart without a boundary", func() *http.Request {
			r := str("POST", "/api/workbook/import", "--x\r\n")
			r.Header.Set("Content-Type", "multipart/form-data")
			return r
		}()},
	}
	for _, tc := range cases {
		start := time.Now()
		resp, err := http.DefaultClient.Do(tc.req)
		if err != nil {
			// The server may close the connection before reading an oversized body to its end;
			// that is a refusal too, as long as it stays up (checked below).
			t.Logf("%s: connection ended: %v (%s)", tc.rule, err, time.Since(start).Round(time.Millisecond))
			continue
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if resp.StatusCode < 400 || resp.StatusCode >= 500 {
			t.Errorf("%s: status %d, want a 4xx refusal: %s", tc.rule, resp.StatusCode, clip(string(body), 300))
		} else {
			t.Logf("%s: %d in %s", tc.rule, resp.StatusCode, time.Since(start).Round(time.Millisecond))
		}
	}
	rawCases := []struct{ rule, request string }{
		{"a 2 MiB header", "GET /api/overview HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + sec.ConsoleToken +
			"\r\nX-Junk: " + strings.Repeat("a", 2<<20) + "\r\n\r\n"},
		{"a 256 KiB URL", "GET /api/alerts/" + strings.Repeat("k", 256<<10) + " HTTP/1.1\r\nHost: x\r\n\r\n"},
		{"path traversal", "GET /static/../../../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n"},
		{"encoded path traversal", "GET /static/..%2f..%2f..%2f..%2fetc%2fpasswd HTTP/1.1\r\nHost: x\r\n\r\n"},
		{"a request line that is not HTTP", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n"},
	}
	for _, tc := range rawCases {
		status, body := rawRequest(t, addr, tc.request)
		if status == http.StatusOK || status >= 500 || strings.Contains(body, "root:") {
			t.Errorf("%s: status %d: %s", tc.rule, status, clip(body, 300))
		} else {
			t.Logf("%s: %d", tc.rule, status)
		}
	}

	if status, _ := get(t, base+"/healthz", ""); status != http.StatusOK {
		t.Errorf("after the hostile requests /healthz answers %d", status)
	}
	if status, body := get(t, base+"/api/overview", sec.ConsoleToken); status != http.StatusOK {
		t.Errorf("after the hostile requests /api/overview answers %d: %s", status, clip(body, 300))
	}
	peak := peakRSS(t, d.cmd.Process.Pid)
	t.Logf("daemon peak RSS after the hostile requests: %d MiB", peak>>20)
	if peak > 256<<20 {
		t.Errorf("daemon peak RSS %d MiB: an oversized request was read into memory", peak>>20)
	}
	if code := d.signal(t, syscall.SIGTERM, time.Minute); code != exitOK {
		t.Errorf("run: exit %d after SIGTERM", code)
	}
}

// rawRequest writes a request as given (no client cleans the path) and reads the status line.
func rawRequest(t *testing.T, addr, request string) (int, string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	go func() { _, _ = io.WriteString(c, request) }()
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, string(body)
}

// peakRSS is a running process's peak resident set (VmHWM), in bytes.
func peakRSS(t *testing.T, pid int) int64 {
	t.Helper()
	v := readVmHWM(pid)
	if v == 0 {
		t.Fatalf("no VmHWM for process %d", pid)
	}
	return v
}

// TestHostilePlatforms makes a platform answer megabytes of garbage, a JSON page that never
// ends, and an answer that drips a byte at a time and never finishes. Each sync must end — by
// the body limit or the client timeout — within bounded time and memory, exit 0 (records queued
// for retry) or 3, and leave the installation able to sync once the platform behaves.
func TestHostilePlatforms(t *testing.T) {
	t.Parallel()
	type hostile struct {
		name   string
		target string // path suffix the hostile answer replaces
		job    string
		answer func(w http.ResponseWriter, r *http.Request)
	}
	cases := []hostile{
		{"64 MiB of garbage for the enterprise listing", "/enterprises", "enterprises", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json;charset=UTF-8")
			stream(w, r, &endless{b: []byte("\x1f\x8b\x08\x00<html>系统繁忙</html>\x00\xff"), n: 64 << 20})
		}},
		{"an endless JSON page of enterprises", "/enterprises", "enterprises", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json;charset=UTF-8")
			_, _ = io.WriteString(w, `{"code":0,"msg":"成功","data":{"total":999999999,"pageNo":1,"pageSize":500,"list":[`)
			stream(w, r, &endless{b: []byte(`{"qyid":"QY1","tyshxydm":"91350582MA2Y0000XX","qymc":"灵源鞋业","cyrs":12},`), n: 1 << 40})
		}},
		{"one JSON string of 48 MiB", "/enterprises", "enterprises", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json;charset=UTF-8")
			_, _ = io.WriteString(w, `{"code":0,"msg":"`)
			stream(w, r, &endless{b: []byte("很"), n: 48 << 20})
			_, _ = io.WriteString(w, `","data":null}`)
		}},
		{"an answer that drips and never ends", "/enterprises", "enterprises", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json;charset=UTF-8")
			w.WriteHeader(http.StatusOK)
			rc := http.NewResponseController(w)
			_, _ = io.WriteString(w, `{"code":0,`)
			for {
				if _, err := io.WriteString(w, " "); err != nil {
					return
				}
				_ = rc.Flush()
				select {
				case <-r.Context().Done():
					return
				case <-time.After(100 * time.Millisecond):
				}
			}
		}},
		{"64 MiB of garbage for a certificate query", "/certificates:query", "certificates", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			stream(w, r, &endless{b: []byte(`{"items":[{"certNo":"` + strings.Repeat("9", 1000)), n: 64 << 20})
		}},
	}
	sec := newSecrets(t)
	var (
		mu    sync.Mutex
		table []string
		wg    sync.WaitGroup
	)
	// The cases run at once: most of each is the client waiting for its timeout.
	for _, hc := range cases {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t.Run(hc.name, func(t *testing.T) {
				p := startPlatforms(t, sec, platformOptions{Seed: 5, Enterprises: 10, Unlimited: true})
				in := newInstallation(t, p, sec, installOptions{Timeout: 2 * time.Second})
				in.json(exitOK, time.Minute, nil, "import", in.workbook())
				var hits atomic.Int64
				p.Wrap(func(w http.ResponseWriter, r *http.Request, next http.Handler) {
					if strings.HasSuffix(r.URL.Path, hc.target) {
						hits.Add(1)
						hc.answer(w, r)
						return
					}
					next.ServeHTTP(w, r)
				})
				r := in.run(3*time.Minute, "--format", "json", "sync", hc.job)
				if r.code != exitOK && r.code != exitRuntime {
					t.Errorf("want exit 0 or 3\n%s", r)
				}
				if hits.Load() == 0 {
					t.Errorf("the hostile answer was never asked for")
				}
				if r.maxRSS > 320<<20 {
					t.Errorf("peak RSS %d MiB: the answer was not bounded", r.maxRSS>>20)
				}
				mu.Lock()
				table = append(table, fmt.Sprintf("%-50s exit %d after %5.1fs, %3d hostile answers, peak RSS %3d MiB",
					hc.name, r.code, r.took.Seconds(), hits.Load(), r.maxRSS>>20))
				mu.Unlock()
				p.Wrap(nil)
				in.json(exitOK, 2*time.Minute, nil, "queue", "drain", "--timeout", "60s")
				var sums []syncSummary
				in.json(exitOK, 2*time.Minute, &sums, "sync", "all")
				in.json(exitOK, 2*time.Minute, nil, "queue", "drain", "--timeout", "60s")
				s := capture(t, in)
				if s.Queue != (queueStats{}) {
					t.Errorf("queue after the platform behaves again: %+v\n%s", s.Queue, s.Dead)
				}
				var rep reconcileReport
				in.json(exitOK, time.Minute, &rep, "reconcile", "all")
				if n := len(rep.Enterprises.OnlyInLedger) + len(rep.Enterprises.Different) + len(rep.Operators.Unregistered); n > 0 {
					t.Errorf("after the platform behaves again, reconcile still finds %d differences", n)
				}
			})
		}()
	}
	wg.Wait()
	sort.Strings(table)
	t.Logf("hostile platforms (client timeout 2s):\n%s", strings.Join(table, "\n"))
}

// stream copies r to w until it ends or the client goes away.
func stream(w http.ResponseWriter, req *http.Request, r io.Reader) {
	buf := make([]byte, 64<<10)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil || req.Context().Err() != nil {
			return
		}
	}
}

// TestZipBombWorkbook imports a workbook of a few hundred KiB whose sheet inflates to 512 MiB of
// white space (what the console's 20 MiB upload limit lets through a thousandfold). The import
// must refuse it (exit 2), naming why, within a bounded time and memory. (Before the reader
// bounded inflation it took about a minute and over a GiB: excelize's row reader holds a whole
// text run in memory.)
func TestZipBombWorkbook(t *testing.T) {
	t.Parallel()
	sec := newSecrets(t)
	p := startPlatforms(t, sec, platformOptions{Seed: 5, Enterprises: 10, Unlimited: true})
	in := newInstallation(t, p, sec, installOptions{})
	path := filepath.Join(in.dir, "企业台账.xlsx")
	testutil.LedgerWorkbook(t, path, 0, 512<<20)
	st, _ := os.Stat(path)
	r := in.run(5*time.Minute, "--format", "json", "import", path)
	t.Logf("import of a %d KiB workbook inflating to 512 MiB: exit %d after %s, peak RSS %d MiB", st.Size()>>10, r.code,
		r.took.Round(time.Millisecond), r.maxRSS>>20)
	if r.code != exitUsage || !strings.Contains(r.stdout+r.stderr, "压缩比异常") {
		t.Errorf("want exit 2, refused for its compression ratio\n%s", r)
	}
	if r.took > 30*time.Second || r.maxRSS > 256<<20 {
		t.Errorf("import of a zip bomb took %s and %d MiB: inflated size is not bounded", r.took.Round(time.Second), r.maxRSS>>20)
	}
}

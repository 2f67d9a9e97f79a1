package reliability

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"streetsync/internal/config"
	"streetsync/internal/ledger"
	"streetsync/internal/testutil"
	"streetsync/mapping"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql drivers, to read the ledger's schema
	_ "modernc.org/sqlite"
)

// hugeCellWorkbook writes a ledger workbook whose shared-strings table holds one cell of cell
// bytes (an enterprise name), compressible only so far that the part's ratio stays under the
// inflation check's 100: 700 MiB of it fit in about 8 MiB, well within the console's 20 MiB.
func hugeCellWorkbook(t testing.TB, path string, cell int64) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zw := zip.NewWriter(bufio.NewWriterSize(f, 1<<20))
	put := func(name string, parts ...func(w io.Writer)) {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range parts {
			p(w)
		}
	}
	text := func(s string) func(io.Writer) { return func(w io.Writer) { _, _ = io.WriteString(w, s) } }
	put("[Content_Types].xml", text(`<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`))
	put("_rels/.rels", text(`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`+
		`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`))
	put("xl/workbook.xml", text(`<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">`+
		`<sheets><sheet name="企业台账" sheetId="1" r:id="rId1"/></sheets></workbook>`))
	put("xl/_rels/workbook.xml.rels", text(`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`+
		`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>`+
		`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`))
	var row strings.Builder
	row.WriteString(`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">`)
	headers := []string{"统一社会信用代码", "企业名称", "法定代表人", "主要负责人", "主要负责人电话", "经营地址", "所属社区", "行业类别", "企业状态"}
	for i, h := range headers {
		fmt.Fprintf(&row, `<c r="%c1" t="inlineStr"><is><t>%s</t></is></c>`, 'A'+i, h)
	}
	row.WriteString(`</row><row r="2"><c r="A2" t="s"><v>0</v></c><c r="B2" t="s"><v>1</v></c>`)
	for i, v := range []string{"王建国", "王建国", "13905951234", "灵源街道林口路1号", "林口社区", "轻工", "在营"} {
		fmt.Fprintf(&row, `<c r="%c2" t="inlineStr"><is><t>%s</t></is></c>`, 'C'+i, v)
	}
	row.WriteString(`</row></sheetData></worksheet>`)
	put("xl/worksheets/sheet1.xml", text(row.String()))
	put("xl/sharedStrings.xml", text(`<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>91350582MA2YQ0XB4K</t></si><si><t>`),
		func(w io.Writer) {
			// 14 random letters in every 4 KiB of one letter: deflate's ratio is about 88.
			rng := rand.New(rand.NewPCG(7, 7))
			block := make([]byte, 4096)
			for left := cell; left > 0; left -= int64(len(block)) {
				for i := range block {
					block[i] = 'a'
				}
				for range 14 {
					block[rng.IntN(len(block))] = byte('a' + rng.IntN(26))
				}
				if _, err := w.Write(block[:min(left, int64(len(block)))]); err != nil {
					t.Fatal(err)
				}
			}
		}, text(`</t></si></sst>`))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
}

// invalidRowsCSV writes a CSV of enterprise rows, every one wrong in several columns, to about
// size bytes.
func invalidRowsCSV(t testing.TB, path string, size int) {
	t.Helper()
	var b bytes.Buffer
	b.WriteString("统一社会信用代码,企业名称,法定代表人,主要负责人,主要负责人电话,经营地址,所属社区,行业类别,企业状态\r\n")
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, "91350582MA%08d,灵源%d号,,,12%d,,某社区,化工,营业\r\n", i, i, i)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

// readVmRSS is a process's resident set now, in bytes (0 when it cannot be read).
func readVmRSS(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// TestHostileWorkbooksStayBounded imports what once took the daemon to gigabytes (#16 finding 1):
// an 8 MiB workbook holding one 700 MiB cell, a 5 MiB CSV of 100 000 invalid rows, and the zip
// bomb — with the CLI and uploaded to the running daemon's console. Each is read in bounded
// memory: the CLI's peak RSS and the daemon's peak above its idle size stay under 256 MiB, the
// answers stay small, the long cell's row is rejected for its length, and the daemon is healthy
// afterwards.
func TestHostileWorkbooksStayBounded(t *testing.T) {
	t.Parallel()
	sec := newSecrets(t)
	p := startPlatforms(t, sec, platformOptions{Seed: 5, Enterprises: 10, Unlimited: true})
	in := newInstallation(t, p, sec, installOptions{Extra: quietSchedule})
	cases := []struct {
		name, file string
		make       func(path string)
		cli        int // exit status of the CLI import
		status     int // of the console upload
		want       string
	}{
		{"one 700 MiB cell", "一格700MiB.xlsx", func(p string) { hugeCellWorkbook(t, p, 700<<20) }, exitOK, http.StatusOK, "内容过长"},
		{"5 MiB of invalid rows", "无效行.csv", func(p string) { invalidRowsCSV(t, p, 5<<20) }, exitOK, http.StatusOK, `"rejectedOmitted"`},
		{"zip bomb", "企业台账-炸弹.xlsx", func(p string) { testutil.LedgerWorkbook(t, p, 0, 512<<20) }, exitUsage, http.StatusBadRequest, "压缩比异常"},
	}
	var table []string
	for _, c := range cases {
		path := filepath.Join(in.dir, c.file)
		c.make(path)
		st, _ := os.Stat(path)
		if st.Size() > 20<<20 {
			t.Fatalf("%s is %d MiB: the console's upload limit would refuse it", c.name, st.Size()>>20)
		}
		r := in.run(5*time.Minute, "--format", "json", "import", path)
		if r.code != c.cli || !strings.Contains(r.stdout+r.stderr, c.want) {
			t.Errorf("%s: CLI import\n%s", c.name, r)
		}
		if r.maxRSS > 256<<20 || len(r.stdout) > 4<<20 {
			t.Errorf("%s: CLI import peaked at %d MiB RSS and printed %d KiB: not bounded", c.name, r.maxRSS>>20, len(r.stdout)>>10)
		}
		table = append(table, fmt.Sprintf("CLI    %-22s %6.1f MiB file: exit %d after %5.1fs, peak RSS %4d MiB, output %5d KiB",
			c.name, float64(st.Size())/(1<<20), r.code, r.took.Seconds(), r.maxRSS>>20, len(r.stdout)>>10))
	}

	d := in.start("run")
	addr := d.consoleAddr(t, 30*time.Second)
	// Idle: the daemon has started its workers and served one request.
	if status, _ := get(t, "http://"+addr+"/api/overview", sec.ConsoleToken); status != http.StatusOK {
		t.Fatalf("overview: %d", status)
	}
	idle := readVmRSS(d.cmd.Process.Pid)
	for _, c := range cases {
		path := filepath.Join(in.dir, c.file)
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		fw, _ := mw.CreateFormFile("file", c.file)
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(fw, f)
		f.Close()
		mw.Close()
		req, _ := http.NewRequest("POST", "http://"+addr+"/api/workbook/import?dryRun=true", &body)
		req.Header.Set("Authorization", "Bearer "+sec.ConsoleToken)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		start := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s: upload: %v", c.name, err)
		}
		answer, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
		resp.Body.Close()
		if resp.StatusCode != c.status || !strings.Contains(string(answer), c.want) || len(answer) > 4<<20 {
			t.Errorf("%s: upload answered %d with %d KiB: %s", c.name, resp.StatusCode, len(answer)>>10, clip(string(answer), 300))
		}
		peak := peakRSS(t, d.cmd.Process.Pid)
		table = append(table, fmt.Sprintf("daemon %-22s upload: %d after %5.1fs, answer %5d KiB, peak RSS %4d MiB (idle %d MiB)",
			c.name, resp.StatusCode, time.Since(start).Seconds(), len(answer)>>10, peak>>20, idle>>20))
	}
	peak := peakRSS(t, d.cmd.Process.Pid)
	t.Logf("hostile workbooks:\n%s", strings.Join(table, "\n"))
	if peak-idle > 256<<20 {
		t.Errorf("the daemon peaked at %d MiB, %d MiB above its idle %d MiB: an upload was not bounded", peak>>20, (peak-idle)>>20, idle>>20)
	}
	if status, _ := get(t, "http://"+addr+"/healthz", ""); status != http.StatusOK {
		t.Errorf("after the uploads /healthz answers %d", status)
	}
	if code := d.signal(t, syscall.SIGTERM, time.Minute); code != exitOK {
		t.Errorf("run: exit %d after SIGTERM", code)
	}
}

// TestSIGKILLDuringImport kills `import` of a large workbook with SIGKILL at points inside each
// of its sheets, on SQLite and PostgreSQL, and finds each sheet as it was or wholly loaded — never
// part of it (#16 finding 11): each sheet is one transaction. The same import then completes.
func TestSIGKILLDuringImport(t *testing.T) {
	t.Parallel()
	sec := newSecrets(t)
	n := 4000
	if long() {
		n = 12000
	}
	p := startPlatforms(t, sec, platformOptions{Seed: 9, Enterprises: n, BadRecords: 8, Unlimited: true})
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			fresh := func() *installation {
				o := installOptions{Driver: driver}
				if driver == "postgres" {
					o.DSN = testutil.Postgres(t)
				}
				return newInstallation(t, p, sec, o)
			}
			ref := fresh()
			wb := ref.workbook()
			var want struct {
				Enterprises ledger.Counts `json:"enterprises"`
				Operators   ledger.Counts `json:"operators"`
			}
			r := ref.json(exitOK, 5*time.Minute, &want, "import", wb)
			wantE, wantO := want.Enterprises.Inserted, want.Operators.Inserted
			t.Logf("reference import: %d enterprises, %d roster entries in %s", wantE, wantO, r.took.Round(time.Millisecond))
			rng := rand.New(rand.NewPCG(uint64(len(driver)), 11))
			var kills []string
			sawRosterKilled := false
			// Kills into the roster sheet come a random time up to late after the enterprise sheet
			// committed. An import runs faster once the machine is warm (1.6 s, then 0.6 s): a
			// kill that finds the roster committed halves late, and kills go on, up to twelve,
			// until one has landed inside the roster sheet.
			late := r.took * 2 / 3
			for i := 0; i < 6 || !sawRosterKilled && i < 12; i++ {
				in := fresh()
				st := openLedger(t, in)
				proc := in.start("import", wb)
				// Kills 0–1 land in the enterprise sheet (or before it); the others inside the
				// roster sheet: after the enterprise sheet committed, a random time into the rest.
				wait := r.took * 2 / 3
				if i >= 2 {
					waitForCount(t, st, proc, wantE)
					wait = late
				}
				time.Sleep(time.Duration(rng.Int64N(int64(wait))))
				_ = proc.cmd.Process.Signal(syscall.SIGKILL)
				code := proc.wait(t, time.Minute)
				e, o := countLedger(t, st)
				kills = append(kills, fmt.Sprintf("kill %d: exit %d, enterprises %d/%d, roster %d/%d", i, code, e, wantE, o, wantO))
				// A first load builds the indexes at its end (SQLite): a kill must not lose them.
				if got, want := indexesOf(t, in), indexesOf(t, ref); got != want {
					t.Errorf("after kill %d the ledger's indexes are %s, want %s", i, got, want)
				}
				if (e != 0 && e != wantE) || (o != 0 && o != wantO) || (o != 0 && e == 0) {
					t.Errorf("after kill %d the ledger holds part of a sheet: %d of %d enterprises, %d of %d roster entries", i, e, wantE, o, wantO)
				}
				sawRosterKilled = sawRosterKilled || (e == wantE && o == 0)
				if i >= 2 && o == wantO {
					late = max(late/2, time.Millisecond) // too late: the roster sheet had committed
				}
				var got struct {
					Enterprises ledger.Counts `json:"enterprises"`
					Operators   ledger.Counts `json:"operators"`
				}
				in.json(exitOK, 5*time.Minute, &got, "import", wb)
				if e, o := countLedger(t, st); e != wantE || o != wantO {
					t.Errorf("the import after kill %d left %d enterprises and %d roster entries, want %d and %d", i, e, o, wantE, wantO)
				}
			}
			t.Logf("%s:\n%s", driver, strings.Join(kills, "\n"))
			if !sawRosterKilled {
				t.Errorf("no kill landed inside the roster sheet: the test did not test it")
			}
		})
	}
}

func openLedger(t *testing.T, in *installation) ledger.Store {
	t.Helper()
	st, err := ledger.Open(context.Background(), config.Ledger{Driver: in.driver, DSN: config.Secret(in.dsn)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func countLedger(t *testing.T, st ledger.Store) (enterprises, operators int) {
	t.Helper()
	ov, err := st.Overview(context.Background(), mapping.Date{})
	if err != nil {
		t.Fatal(err)
	}
	return ov.Enterprises, ov.Operators
}

// indexesOf lists the ledger's indexes, as one string.
func indexesOf(t *testing.T, in *installation) string {
	t.Helper()
	q := `SELECT name FROM sqlite_master WHERE type = 'index' ORDER BY name`
	if in.driver == "postgres" {
		q = `SELECT indexname FROM pg_indexes WHERE schemaname = 'public' ORDER BY indexname`
	}
	driver := map[string]string{"sqlite": "sqlite", "postgres": "pgx"}[in.driver]
	db, err := sql.Open(driver, in.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	return strings.Join(names, ",")
}

// waitForCount waits until the import has committed its enterprise sheet.
func waitForCount(t *testing.T, st ledger.Store, proc *process, enterprises int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if e, _ := countLedger(t, st); e == enterprises {
			return
		}
		if proc.exited() || time.Now().After(deadline) {
			t.Fatalf("the enterprise sheet was not committed while the import ran\n%s", tail(proc.stderr.String(), 2000))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

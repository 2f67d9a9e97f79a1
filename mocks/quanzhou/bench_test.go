package quanzhou

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"streetsync/mocks/dataset"
)

// BenchmarkListEnterprises100k walks all 100 000 enterprises with pageSize 500 over loopback,
// signing every request and decoding every record into a typed struct, and reports records/s.
// The connectors' benchmark needs ≥ 50 000 records/s from the mock.
func BenchmarkListEnterprises100k(b *testing.B) {
	ds, err := dataset.Generate(dataset.Params{Seed: 1, Enterprises: 100000, OperatorsPerEnterprise: 0.01, NoisePeople: -1})
	if err != nil {
		b.Fatal(err)
	}
	clock := &testClock{t: ds.Params.Reference.Time(9 * 3600)}
	p, err := New(Config{BasePath: prefix, Now: clock.Now, RatePerSecond: -1})
	if err != nil {
		b.Fatal(err)
	}
	p.LoadDataset(ds)
	total := len(ds.Platform)
	ds = nil
	mux := http.NewServeMux()
	mux.Handle(prefix+"/", p)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c := &client{srv: srv, clock: clock}
	c.t = &testing.T{}
	c.login()
	c.raw = true
	type record struct {
		Qyid, Tyshxydm, Qymc, Fddbr, Zyfzr, Zyfzrlxdh, Aqglry, Jydz, Xzqhdm, Sqmc, Hylb, Zdlx string
		Cyrs                                                                                  json.RawMessage
		Qyzt, Sfczc, Bzhdj, Bzhyxq, Sfnrjcyj, Gxsj                                            string
	}
	b.ResetTimer()
	start := time.Now()
	records := 0
	for b.Loop() {
		for pageNo := 1; ; pageNo++ {
			r := c.do(call{path: "/enterprises", query: "xzqhdm=350582006&pageSize=500&pageNo=" + strconv.Itoa(pageNo)})
			var env struct {
				Code int `json:"code"`
				Data struct {
					List []record `json:"list"`
				} `json:"data"`
			}
			if err := json.Unmarshal(r.raw, &env); err != nil || env.Code != 0 {
				b.Fatalf("page %d: %v %.200s", pageNo, err, r.raw)
			}
			records += len(env.Data.List)
			if len(env.Data.List) < 500 {
				break
			}
		}
	}
	elapsed := time.Since(start)
	if records%total != 0 {
		b.Fatalf("walked %d records, want a multiple of %d", records, total)
	}
	b.ReportMetric(float64(records)/elapsed.Seconds(), "records/s")
}

// BenchmarkEncodePage measures the platform side alone: one 500-record page rendered.
func BenchmarkEncodePage(b *testing.B) {
	ds, _ := dataset.Generate(dataset.Params{Seed: 1, Enterprises: 600, NoisePeople: -1})
	p, _ := New(Config{})
	p.LoadDataset(ds)
	items := p.ents.Items[:500]
	for b.Loop() {
		buf := make([]byte, 0, 64+500*520)
		buf = appendPage(buf, len(items), 1, 500)
		for i, e := range items {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = appendEnterprise(buf, e)
		}
		if len(buf) == 0 {
			b.Fatal(fmt.Sprint("empty"))
		}
	}
}

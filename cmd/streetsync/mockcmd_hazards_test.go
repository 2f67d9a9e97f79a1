package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"streetsync/connectors/quanzhou"
	"streetsync/mapping"
)

// The base URL `mock serve` prints serves the hazard and inspection endpoints (contracts/
// hazards.md): the client, with the printed credentials, lists both and pushes a hazard.
func TestMockServeServesHazardsAndInspections(t *testing.T) {
	s := startCLI(t, "mock", "serve", "--listen", "127.0.0.1:0", "--enterprises", "30", "--format", "json")
	waitFor(t, 20*time.Second, "the endpoints line", func() bool { return strings.Contains(s.out.String(), "\n") })
	var doc map[string]map[string]string
	if err := json.Unmarshal([]byte(s.out.String()), &doc); err != nil {
		t.Fatal(err)
	}
	qz := doc["quanzhou"]
	c, err := quanzhou.New(quanzhou.Config{BaseURL: qz["baseURL"], AppKey: qz["appKey"], AppSecret: qz["appSecret"],
		Timeout: 5 * time.Second}, "350582006", zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var uscc string
	hazards, _ := c.ListHazards(ctx, quanzhou.Mark{})
	n := 0
	for h, err := range hazards {
		if err != nil {
			t.Fatal(err)
		}
		n, uscc = n+1, h.Tyshxydm
	}
	inspections, _ := c.ListInspections(ctx, quanzhou.Mark{})
	m := 0
	for _, err := range inspections {
		if err != nil {
			t.Fatal(err)
		}
		m++
	}
	if n == 0 || m == 0 {
		t.Fatalf("the demo street has %d hazards and %d inspections, want some of each", n, m)
	}
	h := mapping.QZHazard{Lybh: "LY-CLI-0001", Tyshxydm: uscc, Yhly: "JDJC", Yhdj: "1", Yhms: "消防通道堆放杂物",
		Fxrq: "2026-01-10", Zgqx: "2026-01-17"}
	yhid, dup, err := c.CreateHazard(ctx, h)
	if err != nil || yhid == "" || dup {
		t.Fatalf("create: %q %v %v", yhid, dup, err)
	}
	if again, dup, err := c.CreateHazard(ctx, h); err != nil || again != yhid || !dup {
		t.Errorf("the same hazard again: %q %v %v, want the duplicate %s", again, dup, err, yhid)
	}
	if code := s.stop(t, 10*time.Second); code != exitOK {
		t.Fatalf("exit %d after stop, want 0; stderr: %s", code, s.err.String())
	}
}

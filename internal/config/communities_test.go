package config

import (
	"os"
	"slices"
	"strings"
	"testing"
)

var minimalEnv = map[string]string{"QZ_APP_KEY": "k", "QZ_APP_SECRET": "secret-1", "TZ_CLIENT_ID": "c",
	"TZ_CLIENT_SECRET": "secret-2", "CONSOLE_TOKEN": "0123456789abcdef"}

// region.communities defaults to the street's nine communities; a list replaces them, an
// explicit empty list turns the workbook's check off, and a bad list is named entry by entry.
func TestRegionCommunities(t *testing.T) {
	raw, err := os.ReadFile("testdata/minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	parse := func(extra string) (*Config, error) {
		return Parse("x", append(append([]byte{}, raw...), extra...), lookupIn(minimalEnv))
	}
	cfg, err := parse("")
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Region.Communities) != 9 || cfg.Region.Communities[0] != "林口社区" || !slices.Contains(cfg.Region.Communities, "洪溪社区") {
		t.Errorf("default communities %v, want the street's nine", cfg.Region.Communities)
	}
	if cfg, err = parse("region:\n  communities: [新社区]\n"); err != nil || !slices.Equal(cfg.Region.Communities, []string{"新社区"}) {
		t.Errorf("communities %v (%v), want [新社区]", cfg.Region.Communities, err)
	}
	if cfg, err = parse("region:\n  communities: []\n"); err != nil || len(cfg.Region.Communities) != 0 {
		t.Errorf("communities %v (%v), want none", cfg.Region.Communities, err)
	}
	_, err = parse("region:\n  communities: [林口社区, \"  \", 林口社区, " + strings.Repeat("长", 60) + "]\n")
	ps := problemsOf(t, err)
	var got []string
	for _, p := range ps {
		got = append(got, p.Key+"："+p.Message)
	}
	want := []string{"region.communities[1]：社区名称不能为空", "region.communities[2]：与 region.communities[0] 重复：林口社区",
		"region.communities[3]：社区名称过长（60 个字），应为“林口社区”这样的名称"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

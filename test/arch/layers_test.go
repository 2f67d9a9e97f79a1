// Package arch holds the architecture test: the import rules that keep streetsync's arrows
// pointing one way (STYLE.md's layout), checked on every package's non-test imports as `go list`
// reports them.
package arch

import (
	"bufio"
	"bytes"
	"fmt"
	"os/exec"
	"strings"
	"testing"
)

const module = "streetsync"

// rule says what the packages under prefix may import of the project. The first rule whose
// prefix matches a package applies (so the more specific ones come first). Standard-library
// imports are always allowed; third-party ones too, unless stdOnly.
type rule struct {
	prefix  string   // a package path, or a path ending in "/" for everything under it
	may     []string // project imports allowed (same matching)
	stdOnly bool     // the standard library only
	why     string
}

// rules is the layering: cmd → internal/app → internal/* → connectors, scheduler → mapping, with
// the mocks apart and internal/rdb as the one Redis layer under the scheduler.
var rules = []rule{
	{prefix: "streetsync/mapping", may: nil, stdOnly: true,
		why: "mapping is the pure canonical model: no I/O, no project package, only the standard library"},
	{prefix: "streetsync/mapping/", may: []string{"streetsync/mapping"}, stdOnly: true,
		why: "mapping's sub-packages (the ID mask) are as pure as mapping, so that every layer may use them"},
	{prefix: "streetsync/mocks/", may: []string{"streetsync/mocks/"},
		why: "the mocks play the platforms: sharing code with the connectors or the model would let both sides share a mistake"},
	{prefix: "streetsync/mocks", may: []string{"streetsync/mocks/"},
		why: "the mocks play the platforms: they import nothing of the project but each other"},
	{prefix: "streetsync/connectors/", may: []string{"streetsync/connectors/", "streetsync/mapping", "streetsync/mapping/"},
		why: "a connector speaks one platform's API and takes its own Config: it must not reach up into internal/ (config, logging)"},
	{prefix: "streetsync/internal/rdb", may: nil,
		why: "internal/rdb is the one owner of Redis, under the scheduler and the retry queue: it depends on nothing of the project"},
	{prefix: "streetsync/scheduler", may: []string{"streetsync/scheduler/", "streetsync/mapping", "streetsync/mapping/", "streetsync/internal/rdb"},
		why: "the scheduler takes its own options (internal/app fills them from the configuration) and reaches Redis only through internal/rdb"},
	{prefix: "streetsync/scheduler/", may: []string{"streetsync/scheduler/", "streetsync/mapping", "streetsync/mapping/", "streetsync/internal/rdb"},
		why: "the retry queue and the clock: as the scheduler, no internal/config, no raw Redis connection"},
	{prefix: "streetsync/internal/testutil", may: []string{"streetsync/internal/rdb"},
		why: "test support gives tests real services; it must not grow into a second wiring"},
	{prefix: "streetsync/internal/app", may: []string{"streetsync/internal/", "streetsync/connectors/", "streetsync/scheduler", "streetsync/scheduler/",
		"streetsync/mapping", "streetsync/mapping/", "streetsync/mocks", "streetsync/mocks/"},
		why: "internal/app is the one wiring: it may use every layer below it (the mocks for the demo), never cmd"},
	{prefix: "streetsync/internal/alerts/rules", may: []string{"streetsync/internal/alerts/notify", "streetsync/mapping", "streetsync/mapping/"},
		why: "the alert rules are pure — what fires for an entry on a day — with no state, delivery or ledger, so that reconcile can use them alone"},
	{prefix: "streetsync/internal/reconcile", may: []string{"streetsync/connectors/", "streetsync/internal/alerts/rules", "streetsync/internal/ledger",
		"streetsync/internal/outfile", "streetsync/mapping", "streetsync/mapping/"},
		why: "reconcile needs of the alerts only the pure rules (who works uncertified), never their state or channels"},
	{prefix: "streetsync/internal/", may: []string{"streetsync/internal/", "streetsync/connectors/", "streetsync/scheduler", "streetsync/scheduler/",
		"streetsync/mapping", "streetsync/mapping/"},
		why: "the application's packages use the layers below; only internal/app wires them, so none imports it (checked apart), nor the mocks"},
	{prefix: "streetsync/cmd/", may: []string{"streetsync/"},
		why: "cmd is the top: it may import anything of the project"},
	{prefix: "streetsync/test/", may: []string{"streetsync/"},
		why: "the reliability and scale tools drive the built binary and the mocks from outside"},
}

// forbidden are imports no package but the named importers may make, whatever rule applies.
var forbidden = []struct {
	path string
	only string // the prefix allowed to import it
	why  string
}{
	{"streetsync/internal/app", "streetsync/cmd/", "only the commands start the wiring; a package importing it would point an arrow back up"},
	{"streetsync/internal/testutil", "streetsync/test/", "test support is for tests: no production package may depend on it"},
}

func matches(pattern, path string) bool {
	if strings.HasSuffix(pattern, "/") {
		return strings.HasPrefix(path, pattern)
	}
	return path == pattern
}

func ruleFor(pkg string) (rule, bool) {
	for _, r := range rules {
		if matches(r.prefix, pkg) {
			return r, true
		}
	}
	return rule{}, false
}

func standard(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".") && first != module
}

// check returns what is wrong with pkg importing imports.
func check(pkg string, imports []string) []string {
	r, ok := ruleFor(pkg)
	if !ok {
		return []string{fmt.Sprintf("%s: no layering rule covers this package; add one to rules", pkg)}
	}
	var bad []string
	for _, imp := range imports {
		for _, f := range forbidden {
			if imp == f.path && !strings.HasPrefix(pkg, f.only) {
				bad = append(bad, fmt.Sprintf("%s imports %s: %s", pkg, imp, f.why))
			}
		}
		switch {
		case standard(imp):
			continue
		case !strings.HasPrefix(imp, module+"/"):
			if r.stdOnly {
				bad = append(bad, fmt.Sprintf("%s imports %s: %s", pkg, imp, r.why))
			}
			continue
		}
		allowed := false
		for _, m := range r.may {
			if matches(m, imp) {
				allowed = true
				break
			}
		}
		if !allowed {
			bad = append(bad, fmt.Sprintf("%s imports %s: %s", pkg, imp, r.why))
		}
	}
	return bad
}

// TestImportsPointOneWay lists every package of the module with its non-test imports and checks
// them against the rules.
func TestImportsPointOneWay(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	n := 0
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		n++
		for _, problem := range check(f[0], f[1:]) {
			t.Error(problem)
		}
	}
	if n < 30 {
		t.Fatalf("go list named %d packages; want the whole module", n)
	}
}

// The rules can fail: the arrows issue 19 found pointing back up are refused.
func TestTheRulesRefuseArrowsThatPointBackUp(t *testing.T) {
	for _, tc := range []struct{ pkg, imp string }{
		{"streetsync/connectors/quanzhou", "streetsync/internal/config"},
		{"streetsync/connectors/specialops", "streetsync/internal/logging"},
		{"streetsync/scheduler", "streetsync/internal/config"},
		{"streetsync/scheduler/retry", "streetsync/internal/config"},
		{"streetsync/internal/reconcile", "streetsync/internal/app"},
		{"streetsync/mapping", "go.uber.org/zap"},
		{"streetsync/mapping", "streetsync/mapping/mask"},
		{"streetsync/mocks/quanzhou", "streetsync/connectors/quanzhou"},
		{"streetsync/mocks/dataset", "streetsync/mapping"},
		{"streetsync/internal/rdb", "streetsync/scheduler"},
		{"streetsync/internal/console", "streetsync/mocks"},
		{"streetsync/internal/ledger", "streetsync/internal/testutil"},
		{"streetsync/internal/reconcile", "streetsync/internal/alerts"},
		{"streetsync/internal/alerts/rules", "streetsync/internal/ledger"},
	} {
		if len(check(tc.pkg, []string{tc.imp})) == 0 {
			t.Errorf("%s importing %s passes the rules", tc.pkg, tc.imp)
		}
	}
	if bad := check("streetsync/internal/app", []string{"streetsync/internal/config", "streetsync/scheduler/retry", "github.com/redis/go-redis/v9"}); len(bad) > 0 {
		t.Errorf("the wiring's own imports are refused: %v", bad)
	}
}

package main

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"streetsync/internal/alerts/rules"
	"streetsync/mapping"
)

// The operator guide (docs/operator-guide.md) is the office's reference. It is kept true here:
// every command and flag the CLI has is in it, everything it names exists; the same for the
// workbook's columns, the alert rules and the exit statuses.

const guidePath = "../../docs/operator-guide.md"

var (
	commandHeading = regexp.MustCompile("(?m)^### `streetsync ([a-z -]+)`\\s*$")
	flagName       = regexp.MustCompile(`--([a-z][a-z-]*)`)
	codeInRow      = regexp.MustCompile("^\\| `([A-Z_]+)`")
)

// guideSection is the text under a "## " heading, up to the next one.
func guideSection(t *testing.T, guide, heading string) string {
	t.Helper()
	i := strings.Index(guide, "\n"+heading+"\n")
	if i < 0 {
		t.Fatalf("the guide has no section %q", heading)
	}
	rest := guide[i+len(heading)+2:]
	if j := strings.Index(rest, "\n## "); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

// commandSections maps each "### `streetsync PATH`" to its text.
func commandSections(guide string) map[string]string {
	out := map[string]string{}
	locs := commandHeading.FindAllStringSubmatchIndex(guide, -1)
	for i, loc := range locs {
		end := len(guide)
		if i+1 < len(locs) {
			end = locs[i+1][0]
		}
		body := guide[loc[1]:end]
		if j := strings.Index(body, "\n## "); j >= 0 {
			body = body[:j]
		}
		out[guide[loc[2]:loc[3]]] = body
	}
	return out
}

// tableFlags are the flags a section's table documents: the first cell of rows that start with a
// flag.
func tableFlags(section string) map[string]bool {
	out := map[string]bool{}
	for _, line := range strings.Split(section, "\n") {
		if !strings.HasPrefix(line, "| `-") {
			continue
		}
		first := strings.SplitN(line[1:], " | ", 2)[0]
		for _, m := range flagName.FindAllStringSubmatch(first, -1) {
			out[m[1]] = true
		}
	}
	return out
}

// firstCells are the first cells of a section's table rows (headers and separators left out).
func firstCells(section string) []string {
	var out []string
	for _, line := range strings.Split(section, "\n") {
		if !strings.HasPrefix(line, "| ") || strings.HasPrefix(line, "|---") {
			continue
		}
		out = append(out, strings.TrimSpace(strings.SplitN(line[1:], "|", 2)[0]))
	}
	return out
}

func TestOperatorGuideNamesEveryCommandAndFlag(t *testing.T) {
	guide := readFile(t, guidePath)
	sections := commandSections(guide)
	root := newRootCmd(&app{})
	commands := map[string]*cobra.Command{}
	visit(root, func(c *cobra.Command) {
		if c == root || c.Name() == "help" || c.HasSubCommands() {
			return // the root and the groups only list their subcommands
		}
		commands[commandPath(c)] = c
	})
	if len(commands) < 20 {
		t.Fatalf("found %d commands; the walk is broken", len(commands))
	}
	for path, c := range commands {
		sec, ok := sections[path]
		if !ok {
			t.Errorf("the guide has no section ### `streetsync %s`", path)
			continue
		}
		documented := tableFlags(sec)
		c.LocalFlags().VisitAll(func(f *pflag.Flag) {
			if f.Name != "help" && !f.Hidden && !documented[f.Name] {
				t.Errorf("streetsync %s --%s is not in its section of the guide", path, f.Name)
			}
		})
		for name := range documented {
			if c.Flags().Lookup(name) == nil && c.InheritedFlags().Lookup(name) == nil {
				t.Errorf("the guide documents streetsync %s --%s; the command has no such flag", path, name)
			}
		}
	}
	for path := range sections {
		if _, ok := commands[path]; !ok {
			t.Errorf("the guide documents streetsync %s; there is no such command", path)
		}
	}

	global := tableFlags(guideSection(t, guide, "## 全局选项"))
	root.PersistentFlags().VisitAll(func(f *pflag.Flag) {
		if !global[f.Name] {
			t.Errorf("global flag --%s is not in the guide's 全局选项", f.Name)
		}
	})
	for name := range global {
		if name != "help" && root.PersistentFlags().Lookup(name) == nil {
			t.Errorf("the guide's 全局选项 names --%s; there is no such global flag", name)
		}
	}
}

func TestOperatorGuideNamesEveryWorkbookColumnRuleAndExitStatus(t *testing.T) {
	guide := readFile(t, guidePath)

	var columns []string
	for _, f := range mapping.EnterpriseTable {
		if f.Column != mapping.NoColumn {
			columns = append(columns, f.Label)
		}
	}
	for _, f := range mapping.OperatorTable {
		if f.Column != mapping.NoColumn {
			columns = append(columns, f.Label)
		}
	}
	columns = append(columns, mapping.SheetHazards.Headers()...)
	columns = append(columns, mapping.SheetDrills.Headers()...)
	documented := map[string]bool{}
	for _, c := range firstCells(guideSection(t, guide, "## 台账工作簿的列")) {
		if c != "列" {
			documented[c] = true
		}
	}
	for _, c := range columns {
		if !documented[c] {
			t.Errorf("workbook column %s is not in the guide", c)
		}
	}
	for c := range documented {
		if !slices.Contains(columns, c) {
			t.Errorf("the guide names workbook column %s; the workbook has none", c)
		}
	}

	var codes []string
	for _, r := range rules.All() {
		codes = append(codes, r.Code)
	}
	var inGuide []string
	for _, line := range strings.Split(guideSection(t, guide, "## 预警规则"), "\n") {
		if m := codeInRow.FindStringSubmatch(line); m != nil {
			inGuide = append(inGuide, m[1])
			if r, ok := rules.Lookup(m[1]); !ok || !strings.Contains(line, r.Name) {
				t.Errorf("the guide's rule row %q: want a rule code and its Chinese name", line)
			}
		}
	}
	slices.Sort(codes)
	slices.Sort(inGuide)
	if !slices.Equal(codes, inGuide) {
		t.Errorf("rules in the guide %v, want %v", inGuide, codes)
	}

	statuses := firstCells(guideSection(t, guide, "## 退出状态"))
	if want := []string{"状态", "0", "1", "2", "3"}; !slices.Equal(statuses, want) {
		t.Errorf("exit statuses in the guide %v, want %v", statuses, want)
	}
	if exitOK != 0 || exitFound != 1 || exitUsage != 2 || exitRuntime != 3 {
		t.Error("the exit statuses changed: the guide says 0, 1, 2, 3")
	}
}

// The README sends the reader to the guide, and to nothing outside the repository.
func TestReadmeLinksStayInTheRepository(t *testing.T) {
	readme := readFile(t, "../../README.md")
	if strings.Contains(readme, "../shared") {
		t.Error("README.md links to ../shared, which a clone does not have")
	}
	if !strings.Contains(readme, "docs/operator-guide.md") {
		t.Error("README.md does not point at docs/operator-guide.md")
	}
}

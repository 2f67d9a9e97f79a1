package config

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Problem is one thing wrong with a configuration file: where, which key, what.
type Problem struct {
	Line    int    `json:"line,omitempty"`
	Key     string `json:"key"`
	Message string `json:"message"`
}

func (p Problem) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("第 %d 行 %s：%s", p.Line, p.Key, p.Message)
	}
	return p.Key + "：" + p.Message
}

// Error is every problem of a configuration file at once.
type Error struct {
	File     string
	Problems []Problem
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "配置文件 %s 有 %d 处问题", e.File, len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  - ")
		b.WriteString(p.String())
	}
	return b.String()
}

// Load reads, expands, decodes and validates the configuration file at path. Any problem is
// returned as *Error listing all of them.
func Load(path string) (*Config, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{File: path, Problems: []Problem{{Key: "(文件)", Message: "无法读取：" + err.Error()}}}
	}
	return Parse(path, raw, os.LookupEnv)
}

// Parse is Load for bytes already read; lookup resolves ${NAME} (os.LookupEnv in production).
func Parse(name string, raw []byte, lookup func(string) (string, bool)) (*Config, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		if tabs := tabIndented(raw); len(tabs) > 0 {
			return nil, &Error{File: name, Problems: tabs}
		}
		return nil, &Error{File: name, Problems: []Problem{{Key: "(文件)", Message: "不是有效的 YAML：" + err.Error()}}}
	}
	cfg := Default()
	if len(doc.Content) == 0 { // empty file: all defaults, then validation says what is missing
		return validated(name, &cfg, nil, map[string]int{}, nil)
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, &Error{File: name, Problems: []Problem{{Line: root.Line, Key: "(文件)", Message: "顶层应为键值映射"}}}
	}
	w := walker{lookup: lookup, lines: map[string]int{}, unset: map[string]bool{}}
	w.walk(root, reflect.TypeOf(cfg), "")
	if err := root.Decode(&cfg); err != nil {
		w.problems = append(w.problems, Problem{Key: "(文件)", Message: err.Error()})
	}
	return validated(name, &cfg, w.problems, w.lines, w.unset)
}

// validated adds validation's problems to those found while reading. A key whose environment
// variable is unset has one problem, the variable: that its value is then empty (or too short)
// says nothing more, and six missing variables make six problems.
func validated(name string, cfg *Config, problems []Problem, lines map[string]int, unset map[string]bool) (*Config, error) {
	for _, p := range cfg.validate(lines) {
		if !unset[p.Key] {
			problems = append(problems, p)
		}
	}
	if len(problems) == 0 {
		cfg.lines = lines
		return cfg, nil
	}
	sortByLine(problems)
	return nil, &Error{File: name, Problems: problems}
}

// What a person reads about a file that is not what it should be.
const (
	msgUnsetVariable = "环境变量 %s 未设置：请先 export %s=…（值为空时也要设置，写作 \"\"）"
	msgTabIndent     = "不要用 Tab 缩进：YAML 只认空格，请把这一行开头的 Tab 换成空格"
)

// tabIndented finds the lines a YAML parser refuses because their indentation holds a tab — the
// usual mistake of a file edited in Notepad — so that each gets the hint instead of the parser's
// "found character that cannot start any token".
func tabIndented(raw []byte) []Problem {
	var out []Problem
	for i, line := range strings.Split(string(raw), "\n") {
		indent := line[:len(line)-len(strings.TrimLeft(line, " \t"))]
		if strings.Contains(indent, "\t") && strings.TrimSpace(line) != "" {
			out = append(out, Problem{Line: i + 1, Key: "(文件)", Message: msgTabIndent})
		}
	}
	return out
}

// sortByLine orders problems by their line in the file; those without one come last.
func sortByLine(problems []Problem) {
	sort.SliceStable(problems, func(i, j int) bool {
		li, lj := problems[i].Line, problems[j].Line
		if li == 0 {
			li = 1 << 30
		}
		if lj == 0 {
			lj = 1 << 30
		}
		return li < lj
	})
}

// walker checks the YAML tree against the Config struct before decoding: it names unknown keys
// and badly typed values with their line, expands ${NAME}, records each key's line for later
// validation messages, and removes bad entries so that decoding can go on and the rest of the
// file is still validated (every problem reported at once).
type walker struct {
	lookup   func(string) (string, bool)
	lines    map[string]int
	problems []Problem
	unset    map[string]bool // keys naming an unset environment variable
}

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

var durationType = reflect.TypeOf(Duration(0))

func (w *walker) add(line int, key, format string, args ...any) {
	w.problems = append(w.problems, Problem{Line: line, Key: key, Message: fmt.Sprintf(format, args...)})
}

func (w *walker) walk(n *yaml.Node, t reflect.Type, path string) bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == durationType:
		if !w.scalar(n, path) {
			return false
		}
		if _, err := time.ParseDuration(n.Value); err != nil {
			w.add(n.Line, path, "不是有效的时长 %q（应写作 30s、5m、6h 这样的 Go 时长）", n.Value)
			return false
		}
		return true
	case t.Kind() == reflect.Struct:
		if n.Kind != yaml.MappingNode {
			if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
				return true
			}
			w.add(n.Line, path, "应为键值映射")
			return false
		}
		fields := yamlFields(t)
		kept := n.Content[:0]
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			key := join(path, k.Value)
			f, ok := fields[k.Value]
			if !ok {
				msg := "未知的配置项"
				if s := nearest(k.Value, fields); s != "" {
					msg += "（是否应为 " + s + "？）"
				}
				w.add(k.Line, key, "%s", msg)
				continue
			}
			w.lines[key] = k.Line
			if w.walk(v, f.Type, key) {
				kept = append(kept, k, v)
			}
		}
		n.Content = kept
		return true
	case t.Kind() == reflect.Slice:
		if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
			return true
		}
		if n.Kind != yaml.SequenceNode {
			w.add(n.Line, path, "应为列表")
			return false
		}
		ok := true
		for i, item := range n.Content {
			ok = w.walk(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i)) && ok
		}
		return ok
	default:
		if !w.scalar(n, path) {
			return false
		}
		return w.checkKind(n, t.Kind(), path)
	}
}

// scalar expands ${NAME} in a scalar node and reports non-scalars.
func (w *walker) scalar(n *yaml.Node, path string) bool {
	if n.Kind != yaml.ScalarNode {
		w.add(n.Line, path, "应为单个值")
		return false
	}
	if strings.Contains(n.Value, "${") {
		n.Value = envRef.ReplaceAllStringFunc(n.Value, func(ref string) string {
			name := envRef.FindStringSubmatch(ref)[1]
			v, ok := w.lookup(name)
			if !ok {
				w.add(n.Line, path, msgUnsetVariable, name, name)
				w.unset[path] = true
			}
			return v
		})
		// The expanded value is data, never YAML: keep it a string unless the field wants a number.
		n.Tag = "!!str"
		n.Style = 0
	}
	return true
}

func (w *walker) checkKind(n *yaml.Node, k reflect.Kind, path string) bool {
	var err error
	switch k {
	case reflect.Int, reflect.Int64:
		_, err = strconv.Atoi(n.Value)
		if err != nil {
			w.add(n.Line, path, "应为整数，实为 %q", n.Value)
			return false
		}
		n.Tag = "!!int"
	case reflect.Float64:
		_, err = strconv.ParseFloat(n.Value, 64)
		if err != nil {
			w.add(n.Line, path, "应为数字，实为 %q", n.Value)
			return false
		}
		n.Tag = "!!float"
	case reflect.Bool:
		_, err = strconv.ParseBool(n.Value)
		if err != nil {
			w.add(n.Line, path, "应为 true 或 false，实为 %q", n.Value)
			return false
		}
		n.Tag = "!!bool"
	case reflect.String:
		if n.Tag == "!!null" {
			n.Value, n.Tag = "", "!!str"
		}
		n.Tag = "!!str"
	}
	return true
}

func yamlFields(t reflect.Type) map[string]reflect.StructField {
	out := map[string]reflect.StructField{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		out[name] = f
	}
	return out
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// nearest suggests the known key closest to a misspelt one, if it is close (half the length).
func nearest(key string, fields map[string]reflect.StructField) string {
	best, bestD := "", max(2, len(key)/2)+1
	for name := range fields {
		if d := editDistance(strings.ToLower(key), strings.ToLower(name)); d < bestD || (d == bestD && name < best) {
			best, bestD = name, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// IsConfigError reports whether err is a configuration problem (exit status 2).
func IsConfigError(err error) bool {
	var ce *Error
	return errors.As(err, &ce)
}

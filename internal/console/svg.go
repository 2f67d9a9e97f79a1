package console

import (
	"fmt"
	"html/template"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"streetsync/internal/alerts"
	"streetsync/internal/alerts/rules"
)

// Small charts drawn by the server as inline SVG: no chart library, no script. Every text is
// escaped; colours come from classes of the console's stylesheet (the CSP allows no inline
// styles) or, for alert rules, from the rule itself as a fill attribute, and each mark has a
// <title> so that hovering shows its number.

// svgDoc builds one chart.
type svgDoc struct{ b strings.Builder }

func newSVG(w, h int, label string) *svgDoc {
	s := &svgDoc{}
	fmt.Fprintf(&s.b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s">`,
		w, h, w, h, template.HTMLEscapeString(label))
	return s
}

func num(v float64) string { return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64) }

func (s *svgDoc) rect(x, y, w, h float64, class, title string) {
	fmt.Fprintf(&s.b, `<rect x="%s" y="%s" width="%s" height="%s" class="%s">`, num(x), num(y), num(w), num(h), class)
	s.title(title)
}

// rectFill is rect in a colour of its own (an alert rule's): a presentation attribute, which the
// CSP's style-src does not govern.
func (s *svgDoc) rectFill(x, y, w, h float64, fill, title string) {
	fmt.Fprintf(&s.b, `<rect x="%s" y="%s" width="%s" height="%s" fill="%s">`, num(x), num(y), num(w), num(h),
		template.HTMLEscapeString(fill))
	s.title(title)
}

func (s *svgDoc) title(title string) {
	if title != "" {
		fmt.Fprintf(&s.b, `<title>%s</title>`, template.HTMLEscapeString(title))
	}
	s.b.WriteString(`</rect>`)
}

func (s *svgDoc) text(x, y float64, anchor, class, txt string) {
	fmt.Fprintf(&s.b, `<text x="%s" y="%s" text-anchor="%s" class="%s">%s</text>`, num(x), num(y), anchor, class, template.HTMLEscapeString(txt))
}

func (s *svgDoc) line(x1, y1, x2, y2 float64, class string) {
	fmt.Fprintf(&s.b, `<line x1="%s" y1="%s" x2="%s" y2="%s" class="%s"/>`, num(x1), num(y1), num(x2), num(y2), class)
}

// html ends the document. The builder escaped every text and attribute it wrote.
func (s *svgDoc) html() template.HTML {
	s.b.WriteString(`</svg>`)
	return template.HTML(s.b.String()) //nolint:gosec // built above with every value escaped
}

// columnChart is the frame of a vertical bar chart: the plot area under its title, n slots of
// equal width, and the value scale from 0 to a round ceiling over most, with three grid lines.
type columnChart struct {
	doc                    *svgDoc
	ceil, height           int
	left, top, plotH, step float64
	barW                   float64
}

// newColumnChart draws the frame; a bar fills fill of its slot and is at least minW wide.
func newColumnChart(width, height, left, top, bottom, n, most int, fill, minW float64, title string) *columnChart {
	c := &columnChart{ceil: niceCeil(most), height: height, left: float64(left), top: float64(top),
		plotH: float64(height - bottom - top)}
	c.step = float64(width-left-6) / float64(n)
	c.barW = math.Max(minW, c.step*fill)
	c.doc = newSVG(width, height, title)
	for _, f := range []int{0, 1, 2} {
		v := c.ceil * f / 2
		y := c.base() - c.scale(v)
		c.doc.line(c.left, y, float64(width-6), y, "grid")
		c.doc.text(c.left-6, y+4, "end", "axis-label", strconv.Itoa(v))
	}
	return c
}

// x is the left edge of slot i's bar.
func (c *columnChart) x(i int) float64 { return c.left + float64(i)*c.step + (c.step-c.barW)/2 }

// scale is the height a value takes.
func (c *columnChart) scale(v int) float64 { return float64(v) / float64(c.ceil) * c.plotH }

// base is the plot's bottom edge.
func (c *columnChart) base() float64 { return c.top + c.plotH }

// label writes slot i's label under the plot.
func (c *columnChart) label(i int, txt string) {
	c.doc.text(c.x(i)+c.barW/2, float64(c.height-6), "middle", "axis-label", txt)
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten (an axis maximum).
func niceCeil(v int) int {
	if v <= 1 {
		return 1
	}
	p := int(math.Pow(10, math.Floor(math.Log10(float64(v)))))
	for _, m := range []int{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

// legendItem is one colour of a chart's legend.
type legendItem struct {
	Colour, Label string
}

// otherRuleColour is the colour of a rule the registry does not know (an alert stored by a newer
// version).
const otherRuleColour = "#9ca3af"

// ruleColour is an alert rule's colour, which the rule itself carries.
func ruleColour(code string) string {
	if r, ok := rules.Lookup(code); ok {
		return r.Colour
	}
	return otherRuleColour
}

const maxChartCommunities = 12

// alertsChart draws firing alerts as one horizontal bar per community, stacked by rule, and
// returns the legend of the rules it used.
func alertsChart(cs []communityAlerts) (template.HTML, []legendItem) {
	const width, labelW, rowH, barH, top = 560, 96, 24, 15, 6
	if len(cs) == 0 {
		return emptyChart(width, 60, "当前没有预警"), nil
	}
	rows := cs[:min(len(cs), maxChartCommunities)]
	maxTotal := 0
	used := map[string]bool{}
	for _, c := range rows {
		maxTotal = max(maxTotal, c.Critical+c.Warning)
		for r := range c.ByRule {
			used[r] = true
		}
	}
	plotW := float64(width - labelW - 44)
	scale := plotW / float64(niceCeil(maxTotal))
	h := top*2 + rowH*len(rows)
	doc := newSVG(width, h, "各社区预警数（按规则）")
	for i, c := range rows {
		y := float64(top + i*rowH)
		name := c.Community
		if name == "" {
			name = "未分社区"
		}
		doc.text(labelW-8, y+barH-3, "end", "axis-label", name)
		x := float64(labelW)
		for _, rule := range alerts.Rules {
			n := c.ByRule[rule]
			if n == 0 {
				continue
			}
			w := float64(n) * scale
			doc.rectFill(x, y, w, barH, ruleColour(rule), fmt.Sprintf("%s · %s：%d", name, alerts.RuleName(rule), n))
			x += w
		}
		doc.text(x+6, y+barH-3, "start", "value-label", strconv.Itoa(c.Critical+c.Warning))
	}
	var legend []legendItem
	for _, rule := range alerts.Rules {
		if used[rule] {
			legend = append(legend, legendItem{ruleColour(rule), alerts.RuleName(rule)})
		}
	}
	return doc.html(), legend
}

// alarmsChart draws the alarms of each day as a vertical bar stacked by level.
func alarmsChart(days []alarmDay) template.HTML {
	const width, height, left, bottom, top = 560, 190, 34, 22, 10
	if len(days) == 0 {
		return emptyChart(width, 60, "暂无数据")
	}
	maxDay := 0
	for _, d := range days {
		maxDay = max(maxDay, d.total())
	}
	if maxDay == 0 {
		return emptyChart(width, 60, "近 30 天没有监测报警")
	}
	c := newColumnChart(width, height, left, top, bottom, len(days), maxDay, 0.7, 2, "近 30 天监测报警（按级别）")
	for i, d := range days {
		x, y := c.x(i), c.base()
		for lv := 3; lv >= 0; lv-- {
			n := d.ByLevel[lv]
			if n == 0 {
				continue
			}
			h := c.scale(n)
			y -= h
			c.doc.rect(x, y, c.barW, h, "lv"+strconv.Itoa(lv+1), fmt.Sprintf("%s %s报警：%d", d.Day, alarmLevelName(lv+1), n))
		}
		if i%5 == 0 || i == len(days)-1 {
			c.label(i, shortDay(d.Day))
		}
	}
	return c.doc.html()
}

func shortDay(day string) string {
	if len(day) == 10 {
		return day[5:]
	}
	return day
}

// runStrip draws a job's recent runs, oldest left: one bar each, its height the run's duration
// relative to the longest, its colour the outcome.
func runStrip(newestFirst []Run, loc *time.Location) template.HTML {
	const barW, gap, height = 9, 3, 26
	if len(newestFirst) == 0 {
		return template.HTML(`<span class="muted">暂无运行记录</span>`)
	}
	runs := slices.Clone(newestFirst)
	slices.Reverse(runs)
	var longest time.Duration
	for _, r := range runs {
		longest = max(longest, runDuration(r))
	}
	width := len(runs)*(barW+gap) - gap
	doc := newSVG(width, height, "最近运行")
	for i, r := range runs {
		h := 4.0
		if longest > 0 {
			h = math.Max(4, float64(runDuration(r))/float64(longest)*height)
		}
		title := fmt.Sprintf("%s %s", r.StartedAt.In(loc).Format("01-02 15:04"), outcomeName(r.Outcome))
		if d := runDuration(r); d > 0 {
			title += "，用时 " + durationText(d)
		}
		doc.rect(float64(i*(barW+gap)), height-h, barW, h, "run-"+outcomeClass(r.Outcome), title)
	}
	return doc.html()
}

func runDuration(r Run) time.Duration {
	if r.FinishedAt.IsZero() || r.StartedAt.IsZero() {
		return 0
	}
	return r.FinishedAt.Sub(r.StartedAt)
}

func emptyChart(w, h int, msg string) template.HTML {
	doc := newSVG(w, h, msg)
	doc.text(float64(w)/2, float64(h)/2+5, "middle", "empty-label", msg)
	return doc.html()
}

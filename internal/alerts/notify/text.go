package notify

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"streetsync/mapping"
)

// The text every robot and the e-mail show, in one place so that it can be read at a glance.
// The per-rule messages (what is wrong, what to do) come with each alert from package alerts.

const (
	textTitle          = "安全预警"
	textNoCommunity    = "未填所属社区"
	textPart           = "（第 %d/%d 部分）"
	textCritical       = "严重"
	textWarning        = "提醒"
	textPerson         = "人员：%s（%s）"
	textItem           = "项目：%s %s"
	textCert           = "证书：%s，状态 %s，有效期至 %s，应复审 %s"
	textNoCert         = "证书：无"
	textAlarm          = "报警：%s %s %s%s（阈值 %s%s），%d 级，发生于 %s"
	textAlarmOffline   = "报警：%s 离线，%d 级，发生于 %s"
	textHazard         = "隐患：%s，%s，整改期限 %s，状态 %s"
	textHazardClause   = "，判定依据 %s"
	textWhat           = "说明：%s"
	textSince          = "开始：%s"
	textAck            = "已督促：%s %s “%s”"
	textEscalatedSince = "已超过升级时限仍未解决"
	textTimeLayout     = "2006-01-02 15:04"
	textSummarySep     = "，"
	textEmpty          = "（无）"
)

var textNotice = map[string]string{
	NoticeNew:        "新增",
	NoticeChanged:    "有变化",
	NoticeRepeat:     "仍未解决",
	NoticeEscalation: "升级",
	NoticeResolved:   "已解决",
}

// noticeOrder is the order of the summary's counts.
var noticeOrder = []string{NoticeEscalation, NoticeNew, NoticeChanged, NoticeRepeat, NoticeResolved}

var textCertStatus = map[mapping.CertStatus]string{
	mapping.CertValid:     "有效",
	mapping.CertExpired:   "过期",
	mapping.CertRevoked:   "撤销",
	mapping.CertCancelled: "注销",
	mapping.CertSuspended: "暂扣",
}

// CommunityLabel is how a message names its community ("" is an enterprise without one).
func CommunityLabel(c string) string {
	if c == "" {
		return textNoCommunity
	}
	return c
}

// Title is a message's one-line title: 安全预警 · 林格社区.
func Title(m *Message) string {
	return textTitle + " · " + CommunityLabel(m.Community)
}

// Summary counts the message's alerts by notice: 新增 2 条，已解决 1 条.
func Summary(m *Message) string {
	counts := map[string]int{}
	for i := range m.Alerts {
		counts[noticeOf(&m.Alerts[i])]++
	}
	var parts []string
	for _, n := range noticeOrder {
		if counts[n] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d 条", textNotice[n], counts[n]))
		}
	}
	if len(parts) == 0 {
		return textEmpty
	}
	return strings.Join(parts, textSummarySep)
}

func noticeOf(a *Alert) string {
	if a.Notice != "" {
		return a.Notice
	}
	if a.Status == StatusResolved {
		return NoticeResolved
	}
	return NoticeNew
}

// Headline is an alert's first line: [严重·新增] 无证上岗 — 企业名.
func Headline(a *Alert) string {
	sev := textWarning
	if a.Severity == SeverityCritical {
		sev = textCritical
	}
	subject := a.Enterprise.Name
	if a.System != nil {
		subject = a.System.Name // a system alert is about data or a platform, not an enterprise
	}
	return fmt.Sprintf("[%s·%s] %s — %s", sev, textNotice[noticeOf(a)], a.RuleName, subject)
}

// Details are an alert's further lines, plain text.
func Details(a *Alert) []string {
	var lines []string
	if a.Operator != nil {
		lines = append(lines, fmt.Sprintf(textPerson, a.Operator.Name, a.Operator.IDNumber))
	}
	if a.Item != nil {
		lines = append(lines, fmt.Sprintf(textItem, a.Item.Code, a.Item.Name))
	}
	if a.Certificate != nil {
		c := a.Certificate
		st := textCertStatus[c.Status]
		if st == "" {
			st = string(c.Status)
		}
		lines = append(lines, fmt.Sprintf(textCert, c.CertNo, st, c.ValidUntil, c.ReviewDueDate))
	} else if a.Operator != nil {
		lines = append(lines, textNoCert)
	}
	if al := a.Alarm; al != nil {
		raised := al.RaisedAt.Format(textTimeLayout)
		if al.Value == "" {
			lines = append(lines, fmt.Sprintf(textAlarmOffline, al.Point, al.Level, raised))
		} else {
			lines = append(lines, fmt.Sprintf(textAlarm, al.Point, al.Quantity, al.Value, al.Unit, al.Threshold, al.Unit, al.Level, raised))
		}
	}
	if h := a.Hazard; h != nil {
		line := fmt.Sprintf(textHazard, h.ID, h.Level, h.Deadline, h.Status)
		if h.Clause != "" {
			line += fmt.Sprintf(textHazardClause, h.Clause)
		}
		lines = append(lines, line)
	}
	lines = append(lines, fmt.Sprintf(textWhat, a.Message))
	if !a.Since.IsZero() {
		lines = append(lines, fmt.Sprintf(textSince, a.Since.Format(textTimeLayout)))
	}
	if a.Escalated && a.Status == StatusFiring {
		lines = append(lines, textEscalatedSince)
	}
	if k := a.Acknowledged; k != nil {
		lines = append(lines, fmt.Sprintf(textAck, k.By, k.At.Format(textTimeLayout), k.Note))
	}
	return lines
}

// Style says how a markup writes a heading, bold text and a line break, and how a value is made
// inert in it (inert.go).
type Style struct {
	Heading   func(string) string
	Bold      func(string) string
	LineBreak string // between the lines of one alert
	BlockSep  string // between alerts
	// Value makes every value of the message (names, notes, the rule's message) inert in the
	// markup; nil leaves values as they are (e-mail's plain text).
	Value func(string) string
}

// Markdown is the style WeCom and DingTalk robots share.
var Markdown = Style{
	Heading:   func(s string) string { return "### " + s },
	Bold:      func(s string) string { return "**" + s + "**" },
	LineBreak: "\n",
	BlockSep:  "\n\n",
	Value:     ChatMarkdown,
}

// Plain is plain text (e-mail).
var Plain = Style{
	Heading:   func(s string) string { return s },
	Bold:      func(s string) string { return s },
	LineBreak: "\n",
	BlockSep:  "\n\n",
}

// ChatPlain is plain text a chat robot reads for mentions and links (Feishu's post lines).
var ChatPlain = Style{
	Heading:   Plain.Heading,
	Bold:      Plain.Bold,
	LineBreak: Plain.LineBreak,
	BlockSep:  Plain.BlockSep,
	Value:     ChatText,
}

// Render writes the message in style, its values made inert by st.Value, and splits it into parts of at most maxBytes bytes of UTF-8
// each (robots limit a message's size: WeCom 4096 bytes). An alert is never split between parts;
// one alert longer than a part on its own is cut at a character boundary. Every part starts with
// the title and the summary, and says which part it is when there are several.
func Render(m *Message, st Style, maxBytes int) []string {
	if st.Value != nil {
		m = inert(m, st.Value)
	}
	header := st.Heading(Title(m)) + st.BlockSep + Summary(m)
	blocks := make([]string, len(m.Alerts))
	for i := range m.Alerts {
		a := &m.Alerts[i]
		blocks[i] = st.Bold(Headline(a)) + st.LineBreak + strings.Join(Details(a), st.LineBreak)
	}
	// Room for the part marker, added once the number of parts is known.
	reserve := len(fmt.Sprintf(textPart, 99, 99))
	budget := maxBytes - len(header) - reserve - len(st.BlockSep)
	if budget < 64 {
		budget = 64
	}
	var parts [][]string
	size := 0
	for _, b := range blocks {
		if len(b) > budget {
			b = truncate(b, budget)
		}
		if len(parts) == 0 || size+len(st.BlockSep)+len(b) > budget {
			parts = append(parts, nil)
			size = 0
		}
		parts[len(parts)-1] = append(parts[len(parts)-1], b)
		size += len(st.BlockSep) + len(b)
	}
	if len(parts) == 0 {
		return []string{header}
	}
	out := make([]string, len(parts))
	for i, p := range parts {
		h := header
		if len(parts) > 1 {
			h += fmt.Sprintf(textPart, i+1, len(parts))
		}
		out[i] = h + st.BlockSep + strings.Join(p, st.BlockSep)
	}
	return out
}

// truncate cuts s to at most n bytes without splitting a character.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

package notify

import (
	"strings"
	"unicode"

	"streetsync/mapping"
)

// Values in chat messages. Every value an alert carries — enterprise and person names, notes,
// alarm points, the rule's message with the names in it — comes from the ledger, a workbook or a
// platform, and the chat robots interpret what they are sent: WeCom and DingTalk markdown turns
// [text](url) into a link and <@userid> into a mention, Feishu turns <at user_id="all"> into
// one, and all three link a bare http://. A roster name "[点击核实证书](http://…) <@all>" must
// arrive as that text, not as a link that pings the whole group. The escaping is by lookalikes,
// not backslashes: the robots' markdown dialects do not document backslash escapes, and a
// backslash that is not one would leave the link working.

// chatLookalikes replaces what starts a mention, a tag or a link in every robot.
var chatLookalikes = strings.NewReplacer(
	"<", "＜", ">", "＞", "@", "＠", "://", "：//",
)

// markdownLookalikes additionally replaces what markdown reads as markup: links and images,
// emphasis, code, strike-through, headings, tables, and the backslash itself. A masked ID
// number's asterisks become U+2217 (∗), which looks the same: two masked numbers in one line
// used to make the text between them bold and their asterisks vanish.
var markdownLookalikes = strings.NewReplacer(
	"<", "＜", ">", "＞", "@", "＠", "://", "：//",
	"[", "［", "]", "］", "*", "∗", "_", "＿", "`", "｀", "~", "～", "#", "＃", "|", "｜", "\\", "＼",
)

// ChatText makes s inert in a robot's plain text (Feishu's post text): no mention, no tag, no
// link; line breaks and other control characters become spaces, so a value cannot start a line
// of its own; bidirectional overrides are dropped.
func ChatText(s string) string { return chatLookalikes.Replace(oneLine(s)) }

// ChatMarkdown makes s inert in WeCom's and DingTalk's markdown: ChatText, and no markup.
func ChatMarkdown(s string) string { return markdownLookalikes.Replace(oneLine(s)) }

// oneLine turns control characters into spaces and drops the bidirectional controls that could
// make a value display as something else.
func oneLine(s string) string {
	clean := true
	for _, r := range s {
		if unicode.IsControl(r) || isBidiControl(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case isBidiControl(r):
		case unicode.IsControl(r):
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isBidiControl(r rune) bool {
	return r >= 0x202A && r <= 0x202E || r >= 0x2066 && r <= 0x2069 || r == 0x200E || r == 0x200F || r == 0x061C
}

// inert returns a copy of m whose every value has passed through value (m is shared between the
// channels and left as it is).
func inert(m *Message, value func(string) string) *Message {
	out := &Message{Status: m.Status, Community: value(m.Community), Alerts: make([]Alert, len(m.Alerts))}
	for i := range m.Alerts {
		a := m.Alerts[i] // enums (Rule, Severity, Status, Notice) stay: the texts look them up
		a.Community, a.RuleName, a.Message = value(a.Community), value(a.RuleName), value(a.Message)
		a.Enterprise = Enterprise{USCC: value(a.Enterprise.USCC), Name: value(a.Enterprise.Name)}
		if o := a.Operator; o != nil {
			a.Operator = &Operator{Name: value(o.Name), IDNumber: value(o.IDNumber)}
		}
		if it := a.Item; it != nil {
			a.Item = &Item{Code: value(it.Code), Name: value(it.Name)}
		}
		if c := a.Certificate; c != nil {
			cc := *c
			cc.CertNo = value(c.CertNo)
			if _, known := textCertStatus[c.Status]; !known {
				cc.Status = mapping.CertStatus(value(string(c.Status)))
			}
			a.Certificate = &cc
		}
		if al := a.Alarm; al != nil {
			aa := *al
			aa.ID, aa.Point, aa.Quantity, aa.Value = value(al.ID), value(al.Point), value(al.Quantity), value(al.Value)
			aa.Threshold, aa.Unit = value(al.Threshold), value(al.Unit)
			a.Alarm = &aa
		}
		if h := a.Hazard; h != nil {
			hh := *h
			hh.ID, hh.YHID, hh.Level, hh.Clause, hh.Status = value(h.ID), value(h.YHID), value(h.Level), value(h.Clause), value(h.Status)
			a.Hazard = &hh
		}
		if k := a.Acknowledged; k != nil {
			a.Acknowledged = &Ack{By: value(k.By), Note: value(k.Note), At: k.At}
		}
		out.Alerts[i] = a
	}
	return out
}

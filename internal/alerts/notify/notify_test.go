package notify_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"streetsync/internal/alerts/notify"
	"streetsync/internal/alerts/notify/notifytest"
)

func TestNewMessageStatus(t *testing.T) {
	m := notifytest.Message()
	if m.Status != notify.StatusFiring {
		t.Errorf("status with a firing alert = %q, want firing", m.Status)
	}
	r := notify.NewMessage("x", m.Alerts[1:])
	if r.Status != notify.StatusResolved {
		t.Errorf("status with only resolved alerts = %q, want resolved", r.Status)
	}
}

func TestRenderKeepsEveryPartWithinTheLimit(t *testing.T) {
	for _, limit := range []int{600, 1000, 4096} {
		m := notifytest.Big(30)
		// One alert far longer than a part: it is cut, at a character boundary.
		m.Alerts[3].Message = strings.Repeat("很长的说明", 400)
		parts := notify.Render(m, notify.Markdown, limit)
		n := 0
		for i, p := range parts {
			if len(p) > limit || !utf8.ValidString(p) {
				t.Errorf("limit %d: part %d has %d bytes, valid UTF-8 %v", limit, i, len(p), utf8.ValidString(p))
			}
			n += strings.Count(p, "[严重·新增]")
		}
		if n != 30 {
			t.Errorf("limit %d: %d alerts across %d parts, want 30", limit, n, len(parts))
		}
	}
}

func TestRenderOnePartHasNoPartNumber(t *testing.T) {
	parts := notify.Render(notifytest.Message(), notify.Plain, 4096)
	if len(parts) != 1 || strings.Contains(parts[0], "部分") {
		t.Errorf("got %d parts:\n%s", len(parts), parts[0])
	}
}

func TestRedactorRemovesURLSecrets(t *testing.T) {
	r := notify.Redactor("https://oapi.example/robot/send?access_token=abcd1234efgh&x=1")
	if got := r("token abcd1234efgh is invalid"); strings.Contains(got, "abcd1234efgh") {
		t.Errorf("got %q", got)
	}
	r = notify.Redactor("https://open.example/open-apis/bot/v2/hook/0f1e2d3c-4b5a-6978")
	if got := r("hook 0f1e2d3c-4b5a-6978 not found"); strings.Contains(got, "0f1e2d3c") {
		t.Errorf("got %q", got)
	}
}

func TestValuesAreInertInChatMarkup(t *testing.T) {
	for _, c := range []struct{ in, markdown, text string }{
		{notifytest.HostileName, "［点击核实证书］(http：//evil.example/verify) ＜＠all＞", "[点击核实证书](http：//evil.example/verify) ＜＠all＞"},
		{"<at user_id=\"all\">所有人</at>", "＜at user＿id=\"all\"＞所有人＜/at＞", "＜at user_id=\"all\"＞所有人＜/at＞"},
		{"@all @所有人", "＠all ＠所有人", "＠all ＠所有人"},
		{"a\n# 标题\r\n> 引用", "a ＃ 标题  ＞ 引用", "a # 标题  ＞ 引用"},
		{"**粗** _斜_ `码` ~~删~~ |表| \\[", "∗∗粗∗∗ ＿斜＿ ｀码｀ ～～删～～ ｜表｜ ＼［", "**粗** _斜_ `码` ~~删~~ |表| \\["},
		{"350582********123X", "350582∗∗∗∗∗∗∗∗123X", "350582********123X"},
		{"\u202e倒序\u2066", "倒序", "倒序"},
		{"晋江市灵源示例鞋业有限公司（林格社区）", "晋江市灵源示例鞋业有限公司（林格社区）", "晋江市灵源示例鞋业有限公司（林格社区）"},
	} {
		if got := notify.ChatMarkdown(c.in); got != c.markdown {
			t.Errorf("ChatMarkdown(%q) = %q, want %q", c.in, got, c.markdown)
		}
		if got := notify.ChatText(c.in); got != c.text {
			t.Errorf("ChatText(%q) = %q, want %q", c.in, got, c.text)
		}
	}
}

// Rendering for a chat makes every value inert and leaves the message itself alone (it goes to
// every channel, the generic webhook's JSON included).
func TestRenderMakesValuesInertWithoutChangingTheMessage(t *testing.T) {
	m := notifytest.Hostile()
	before := m.Alerts[0].Operator.Name
	mentionsAndLinks := []string{"<@", "@all", "@所有人", "<at", "</at>", "http://", "https://", "<font", "\n# ", "\n> ", "\u202e"}
	for name, c := range map[string]struct {
		st  notify.Style
		bad []string
	}{
		"markdown":  {notify.Markdown, append([]string{"](", "**晋江**", "`code`", "~~删~~"}, mentionsAndLinks...)},
		"chat text": {notify.ChatPlain, mentionsAndLinks},
	} {
		st := c.st
		out := strings.Join(notify.Render(m, st, 4096), "\n")
		for _, bad := range c.bad {
			if strings.Contains(out, bad) {
				t.Errorf("%s: rendered text holds %q:\n%s", name, bad, out)
			}
		}
		if !strings.Contains(out, "点击核实证书") || !strings.Contains(out, "已督促") {
			t.Errorf("the values' text is lost:\n%s", out)
		}
	}
	if m.Alerts[0].Operator.Name != before {
		t.Errorf("rendering changed the message: operator %q", m.Alerts[0].Operator.Name)
	}
	plain := strings.Join(notify.Render(m, notify.Plain, 4096), "\n")
	if !strings.Contains(plain, notifytest.HostileName) {
		t.Errorf("the e-mail's plain text changed the name:\n%s", plain)
	}
}

func TestRenderShowsAHazardAlertInEveryStyle(t *testing.T) {
	m := notify.NewMessage("林格社区", []notify.Alert{notifytest.HazardAlert()})
	for name, st := range map[string]notify.Style{"markdown": notify.Markdown, "plain": notify.Plain, "chat text": notify.ChatPlain} {
		out := strings.Join(notify.Render(m, st, 4096), "\n")
		for _, want := range []string{"重大事故隐患未销号", "晋江市灵源示例鞋业有限公司", "JD20260301", "重大", "判定依据 3-2", "整改期限 2026-03-09", "状态 整改中"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s: the hazard alert lacks %q:\n%s", name, want, out)
			}
		}
		for _, bad := range []string{"人员：", "证书：无"} {
			if strings.Contains(out, bad) {
				t.Errorf("%s: a hazard alert shows %q, which is about a person:\n%s", name, bad, out)
			}
		}
	}
}

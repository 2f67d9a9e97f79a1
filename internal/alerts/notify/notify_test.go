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

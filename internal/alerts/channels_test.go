package alerts

import (
	"encoding/json"
	"strings"
	"testing"

	"streetsync/internal/config"
)

func TestBuildChannelsNamesAndRoutes(t *testing.T) {
	chans, err := BuildChannels([]config.Channel{
		{Type: "webhook", URL: "https://hooks.example/a"},
		{Type: "webhook", URL: "https://hooks.example/b", Communities: []string{" 林格 社区 "}},
		{Type: "wecom", Name: "office", URL: "https://qyapi.example/cgi-bin/webhook/send?key=k", Escalations: true},
		{Type: "dingtalk", URL: "https://oapi.example/robot/send?access_token=t", Secret: "SECx"},
		{Type: "feishu", URL: "https://open.example/open-apis/bot/v2/hook/x"},
		{Type: "email", SMTPHost: "smtp.example", SMTPPort: 587, From: "a@example.org", To: []string{"b@example.org"}},
		{Type: "log"},
	})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range chans {
		names = append(names, c.Name)
	}
	if got := strings.Join(names, ","); got != "webhook,webhook-2,office,dingtalk,feishu,email,log" {
		t.Errorf("names %s", got)
	}
	if !chans[0].covers("任何社区") || chans[1].covers("灵源社区") || !chans[1].covers("林格社区") || !chans[2].Escalations {
		t.Errorf("routing: %+v", chans[:3])
	}
	if _, err := BuildChannels([]config.Channel{{Type: "log", Name: "x"}, {Type: "log", Name: "x"}}); err == nil {
		t.Error("two channels named x were accepted")
	}
	if _, err := BuildChannels([]config.Channel{{Type: "sms"}}); err == nil {
		t.Error("an unknown type was accepted")
	}
}

func TestRecordJSONFlattensTheAlert(t *testing.T) {
	r := Record{Alert: Alert{Key: "0123456789abcdef", Rule: "NO_CERTIFICATE"}, Episode: 2, Deliveries: []Delivery{{Channel: "webhook", OK: true}}}
	b, _ := json.Marshal(r)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	if m["key"] != "0123456789abcdef" || m["episode"] != float64(2) || m["deliveries"] == nil {
		t.Errorf("record JSON %s", b)
	}
}

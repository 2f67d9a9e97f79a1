package quanzhou

import (
	"fmt"
	"strings"
	"testing"
)

func TestConfigNeverPrintsTheSecret(t *testing.T) {
	c := Config{BaseURL: "https://qz.example/gw", AppKey: "k", AppSecret: "qz-secret-value"}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		if got := fmt.Sprintf(verb, c); strings.Contains(got, "qz-secret-value") || !strings.Contains(got, "<secret>") {
			t.Errorf("%s prints %s", verb, got)
		}
	}
}

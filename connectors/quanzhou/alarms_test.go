package quanzhou

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"streetsync/connectors/httpx"
	"streetsync/mapping"
)

func TestSendFeedback(t *testing.T) {
	fb := mapping.QZFeedback{Czzt: "2", Czsm: "已更换滤袋，压差恢复正常", Czr: "林小红", Czsj: "2024-05-21 10:00:00"}
	tests := []struct {
		name     string
		answer   string
		code     int
		wantDup  bool
		wantErr  error
		wantKind httpx.Kind
	}{
		{"first feedback", "feedback.json", 0, false, nil, 0},
		{"the same feedback again is a duplicate", "feedback_duplicate.json", 0, true, nil, 0},
		{"unknown alarm is not found", "", 40401, false, ErrNotFound, httpx.KindPermanent},
		{"different feedback on a closed alarm is a conflict", "", 40902, false, ErrConflict, httpx.KindPermanent},
		{"missing field is invalid", "", 40001, false, ErrInvalid, httpx.KindPermanent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			answer := codeResponder(200, tt.code, "失败")
			if tt.answer != "" {
				answer = fileResponder(t, tt.answer)
			}
			f.on(http.MethodPost, "/risk/alarms/BJ202405210001/feedback", answer)
			dup, err := f.c.SendFeedback(context.Background(), "BJ202405210001", fb)
			checkErr(t, err, tt.wantErr, tt.wantKind, 0)
			if dup != tt.wantDup {
				t.Errorf("duplicate = %v, want %v", dup, tt.wantDup)
			}
			var sent mapping.QZFeedback
			if err := json.Unmarshal(f.requests("/risk/alarms/BJ202405210001/feedback")[0].body, &sent); err != nil || sent != fb {
				t.Errorf("sent %+v (%v), want %+v", sent, err, fb)
			}
		})
	}
}

func TestFeedbackFromCanonical(t *testing.T) {
	f := newFixture(t)
	f.on(http.MethodPost, "/risk/alarms/BJ1/feedback", fileResponder(t, "feedback.json"))
	at := time.Date(2024, 5, 21, 10, 0, 0, 0, mapping.Beijing())
	if _, err := f.c.Feedback(context.Background(), mapping.AlarmFeedback{AlarmID: "BJ1", Status: "1", Note: "处置中", Handler: "林小红", HandledAt: at}); err != nil {
		t.Fatal(err)
	}
	var sent mapping.QZFeedback
	json.Unmarshal(f.requests("/risk/alarms/BJ1/feedback")[0].body, &sent)
	if sent.Czsj != "2024-05-21 10:00:00" || sent.Czzt != "1" {
		t.Errorf("sent %+v", sent)
	}
}

func TestListAlarmsFixture(t *testing.T) {
	f := newFixture(t)
	f.on(http.MethodGet, "/risk/alarms", fileResponder(t, "alarms_page.json"))
	seq, prog := f.c.Alarms(context.Background(), Mark{})
	var got []PulledAlarm
	for a, err := range seq {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, a)
	}
	if len(got) != 1 || got[0].Alarm.ID != "BJ202405210001" || got[0].Alarm.Level != 2 || got[0].Problems.HasErrors() {
		t.Fatalf("got %+v", got)
	}
	if !prog.Done || prog.HighWaterText != "2024-05-21 08:15:00" || prog.Requests != 1 {
		t.Errorf("progress %+v", *prog)
	}
}

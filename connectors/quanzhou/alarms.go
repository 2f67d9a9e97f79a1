package quanzhou

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/http"
	"net/url"

	"streetsync/mapping"
)

var alarmListing = listing[mapping.QZAlarm]{
	endpoint: "/risk/alarms",
	key:      func(a *mapping.QZAlarm) (string, string) { return a.Gxsj, a.Bjid },
	field:    alarmField,
}

// ListAlarms walks GET /risk/alarms for the client's region like ListEnterprises: every alarm
// from the mark on, none missed while alarms change, Progress.Mark for the next walk.
func (c *Client) ListAlarms(ctx context.Context, from Mark) (iter.Seq2[mapping.QZAlarm, error], *Progress) {
	prog := &Progress{}
	return func(yield func(mapping.QZAlarm, error) bool) {
		walk(ctx, c, alarmListing, from, prog, yield)
	}, prog
}

// PulledAlarm is one alarm of the listing in canonical form.
type PulledAlarm struct {
	Alarm    mapping.Alarm
	Problems mapping.Problems // only a missing alarm id is an error; the rest are warnings
	Wire     mapping.QZAlarm
}

// Alarms is ListAlarms converted with mapping.AlarmFromQZ.
func (c *Client) Alarms(ctx context.Context, from Mark) (iter.Seq2[PulledAlarm, error], *Progress) {
	seq, prog := c.ListAlarms(ctx, from)
	return func(yield func(PulledAlarm, error) bool) {
		for w, err := range seq {
			if err != nil {
				yield(PulledAlarm{}, err)
				return
			}
			a, ps := mapping.AlarmFromQZ(w)
			if !yield(PulledAlarm{Alarm: a, Problems: ps, Wire: w}, nil) {
				return
			}
		}
	}, prog
}

// SendFeedback is POST /risk/alarms/{bjid}/feedback. duplicate reports that the platform already
// had exactly this feedback (so repeating it is safe). An unknown alarm is ErrNotFound; feedback
// that contradicts a closed alarm is ErrConflict (permanent: a person decides).
func (c *Client) SendFeedback(ctx context.Context, bjid string, fb mapping.QZFeedback) (duplicate bool, err error) {
	if bjid == "" {
		return false, fmt.Errorf("quanzhou: feedback without bjid: %w", ErrInvalid)
	}
	body, err := json.Marshal(fb)
	if err != nil {
		return false, fmt.Errorf("quanzhou: encode feedback: %w", err)
	}
	var data struct {
		Duplicate bool `json:"duplicate"`
	}
	cl := &call{method: http.MethodPost, endpoint: "/risk/alarms/{bjid}/feedback",
		path: "/risk/alarms/" + url.PathEscape(bjid) + "/feedback", body: body, key: bjid,
		idempotent: true} // the platform recognises a repeat (duplicate: true)
	err = c.do(ctx, cl, &data)
	return data.Duplicate, err
}

// Feedback sends the street's canonical handling of an alarm (mapping.FeedbackToQZ). Callers
// check it with mapping.ValidateFeedback first.
func (c *Client) Feedback(ctx context.Context, f mapping.AlarmFeedback) (duplicate bool, err error) {
	return c.SendFeedback(ctx, f.AlarmID, mapping.FeedbackToQZ(f))
}

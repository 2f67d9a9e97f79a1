package alerts

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"streetsync/internal/alerts/notify"
	"streetsync/internal/alerts/rules"
	"streetsync/internal/ledger"
)

// The state transitions of a check: what the rules found is recorded as firing (observe), what
// they stopped finding is resolved (resolveGone), resolutions delivered everywhere are closed
// (finalize) and closed alerts older than the retention are forgotten (tidy). Each step works a
// batch at a time, in ledger transactions that no other alert-state transaction interleaves with.

// observe records one batch of findings as firing and returns each one's state afterwards. An
// alert firing as it did (same fingerprint and same alert) is not written at all; a new one
// starts an episode, a changed fingerprint a version, a changed alert only (a renamed enterprise)
// is stored without a notice. A critical alert firing for alerts.escalateAfter escalates, once
// per episode. A dry run reads the states and says what they would become, writing nothing.
func (c *Checker) observe(ctx context.Context, r *checkRun, batch []rules.Finding) (map[string]ledger.AlertRow, error) {
	keys := make([]string, len(batch))
	for i := range batch {
		keys[i] = batch[i].Alert.Key
	}
	hashes := make([]string, len(batch))
	for i := range batch {
		hashes[i] = alertHash(&batch[i].Alert)
	}
	if r.dry {
		old, err := c.store.st.AlertStates(ctx, keys)
		if err != nil {
			return nil, fmt.Errorf("alerts: read state: %w", err)
		}
		out := make(map[string]ledger.AlertRow, len(batch))
		for i := range batch {
			row, _, _ := c.transition(&batch[i], hashes[i], old, r.now)
			out[row.Key] = row
		}
		return out, nil
	}
	var out map[string]ledger.AlertRow
	var fired, changed int
	err := c.store.st.AlertTx(ctx, func(tx ledger.AlertTx) error {
		fired, changed = 0, 0
		old, err := tx.AlertStates(ctx, keys)
		if err != nil {
			return err
		}
		out = make(map[string]ledger.AlertRow, len(batch))
		put := make([]ledger.AlertRow, 0, len(batch)) // a first check writes every one
		events := make([]ledger.AlertEvent, 0, len(batch))
		for i := range batch {
			row, evs, write := c.transition(&batch[i], hashes[i], old, r.now)
			out[row.Key] = row
			if !write {
				continue
			}
			if row.Body, err = alertJSON(&batch[i].Alert); err != nil {
				return err
			}
			put = append(put, row)
			events = append(events, evs...)
			for _, e := range evs {
				switch e.Type {
				case EventFired:
					fired++
				case EventChanged:
					changed++
				}
			}
		}
		// In key order: neighbours in the key's index are written together.
		slices.SortFunc(put, func(a, b ledger.AlertRow) int { return strings.Compare(a.Key, b.Key) })
		if err := tx.PutAlerts(ctx, put); err != nil {
			return err
		}
		return tx.AddAlertEvents(ctx, events)
	})
	if err != nil {
		return nil, fmt.Errorf("alerts: record firing alerts: %w", err)
	}
	r.fired += fired
	r.changed += changed
	return out, nil
}

// transition is the state of f's alert after this evaluation found it firing at now, given the
// stored states, the events that records, and whether the alert must be written. The body is the
// caller's to fill.
func (c *Checker) transition(f *rules.Finding, hash string, stored map[string]ledger.AlertRow, now time.Time) (ledger.AlertRow, []ledger.AlertEvent, bool) {
	old, exists := stored[f.Alert.Key]
	firing := exists && old.Status == notify.StatusFiring
	var row ledger.AlertRow
	var events []ledger.AlertEvent
	write := true
	switch {
	case firing && old.Fingerprint == f.Fingerprint && old.BodyHash == hash:
		row, write = old, false
	case firing && old.Fingerprint == f.Fingerprint:
		// Only what it shows changed (an enterprise renamed): stored, nobody told at once.
		row = describe(f, hash, &old)
		row.LastSeen = now
	case firing:
		row = describe(f, hash, &old)
		row.Version++
		row.ChangedAt, row.LastSeen = now, now
		events = append(events, ledger.AlertEvent{Key: row.Key, At: now, Type: EventChanged})
	default:
		// New, or firing again after it resolved: a new episode, its acknowledgement and
		// escalation gone with the last one.
		row = describe(f, hash, nil)
		if exists {
			row.Episode = old.Episode
			row.AckEpisode, row.AckVersion, row.AckBy, row.AckNote, row.AckAt = old.AckEpisode, old.AckVersion, old.AckBy, old.AckNote, old.AckAt
		}
		row.Episode++
		row.Version = 1
		row.Status, row.Open = notify.StatusFiring, true
		row.Since, row.ChangedAt, row.LastSeen = now, now, now
		events = append(events, ledger.AlertEvent{Key: row.Key, At: now, Type: EventFired})
	}
	if row.Severity == notify.SeverityCritical && f.Family != rules.System && row.EscalatedAt.IsZero() &&
		(now.Sub(row.Since) >= c.escalate || f.EscalateNow) {
		if !write {
			row = describe(f, hash, &old)
			write = true
		}
		row.EscalatedAt = now
		events = append(events, ledger.AlertEvent{Key: row.Key, At: now, Type: EventEscalated})
	}
	return row, events, write
}

// describe is the stored alert of a finding: what it shows and is searched by, with the state of
// old (nil: none yet).
func describe(f *rules.Finding, hash string, old *ledger.AlertRow) ledger.AlertRow {
	var row ledger.AlertRow
	if old != nil {
		row = *old
	}
	a := &f.Alert
	row.Key, row.Family, row.Rule, row.RuleOrder = a.Key, f.Family.Code, a.Rule, f.Order
	row.Severity, row.SeverityRank = a.Severity, severityRank(a.Severity)
	row.Community, row.EnterpriseUSCC, row.EnterpriseName = a.Community, a.Enterprise.USCC, a.Enterprise.Name
	row.PersonName, row.Subject, row.CertNo = "", "", ""
	switch {
	case a.Operator != nil:
		row.PersonName, row.Subject = a.Operator.Name, a.Operator.IDNumber
	case a.Alarm != nil:
		row.Subject = a.Alarm.ID
	case a.System != nil:
		row.Subject = a.System.Subject
	}
	if a.Certificate != nil {
		row.CertNo = a.Certificate.CertNo
	}
	row.IDHash, row.Fingerprint, row.BodyHash = f.IDHash, f.Fingerprint, hash
	parts := []string{row.PersonName, row.Subject, row.EnterpriseName, row.EnterpriseUSCC, row.CertNo, a.Key}
	if a.Alarm != nil {
		parts = append(parts, a.Alarm.Point)
	}
	if a.System != nil {
		parts = append(parts, a.System.Name)
	}
	row.SearchText = strings.ToLower(strings.Join(parts, " "))
	return row
}

func severityRank(s string) int {
	if s == notify.SeverityCritical {
		return 0
	}
	return 1
}

// resolveGone resolves the firing alerts of a family that this run judged and did not find, and
// records when the family was judged.
func (r *checkRun) resolveGone(ctx context.Context, family string) error {
	c := r.c
	judgedAny := false
	for code := range r.judged {
		if rl, ok := rules.Lookup(code); ok && rl.Family.Code == family {
			judgedAny = true
		}
	}
	if !judgedAny || r.dry {
		return nil
	}
	var gone []ledger.AlertRef
	resolve := func() error {
		if len(gone) == 0 {
			return nil
		}
		var n int
		err := c.store.st.AlertTx(ctx, func(tx ledger.AlertTx) error {
			keys, err := tx.ResolveAlerts(ctx, gone, r.now, r.previous[family])
			if err != nil {
				return err
			}
			n = len(keys)
			events := make([]ledger.AlertEvent, len(keys))
			for i, k := range keys {
				events[i] = ledger.AlertEvent{Key: k, At: r.now, Type: EventResolved}
			}
			return tx.AddAlertEvents(ctx, events)
		})
		if err != nil {
			return fmt.Errorf("alerts: resolve alerts: %w", err)
		}
		r.resolved += n
		gone = gone[:0]
		return nil
	}
	// Every finding was recorded firing. When the family has no more firing alerts than that,
	// each of them was found and nothing is to resolve: a day without change need not read a
	// city's firing alerts (counted from an index) to learn it.
	firing, err := c.store.st.FiringCount(ctx, family)
	if err != nil {
		return fmt.Errorf("alerts: count firing alerts: %w", err)
	}
	if firing > r.recorded[family] {
		for ref, err := range c.store.st.FiringAlerts(ctx, family) {
			if err != nil {
				return fmt.Errorf("alerts: read firing alerts: %w", err)
			}
			if _, found := r.found[keyBits(ref.Key)]; found || !r.judged[ref.Rule] {
				continue
			}
			gone = append(gone, ref)
			if len(gone) == batchSize {
				if err := resolve(); err != nil {
					return err
				}
			}
		}
		if err := resolve(); err != nil {
			return err
		}
	}
	err = c.store.st.AlertTx(ctx, func(tx ledger.AlertTx) error {
		return tx.SetAlertCheckedAt(ctx, family, r.now)
	})
	if err != nil {
		return fmt.Errorf("alerts: %w", err)
	}
	return nil
}

// finalize closes the resolved alerts of the families that no channel still has to hear about
// (or that resolved longer ago than the retention), a batch at a time.
func (c *Checker) finalize(ctx context.Context, families []string, now time.Time) error {
	sls, err := c.store.Silences(ctx)
	if err != nil {
		return err
	}
	claims, err := c.store.st.DeliveryClaims(ctx, now)
	if err != nil {
		return fmt.Errorf("alerts: %w", err)
	}
	claimed := map[[2]string]bool{}
	for _, cl := range claims {
		claimed[[2]string{cl.Channel, cl.Community}] = true
	}
	allowed := map[string]bool{}
	for _, f := range families {
		allowed[f] = true
	}
	after := ""
	for {
		var n int
		err := c.store.st.AlertTx(ctx, func(tx ledger.AlertTx) error {
			rows, ds, err := tx.OpenResolved(ctx, after, batchSize)
			if err != nil {
				return err
			}
			n = len(rows)
			var done []string
			for i := range rows {
				a := &rows[i]
				after = a.Key
				if !allowed[a.Family] || c.owed(a, ds[a.Key], now, silencedBy(sls, a) != nil, claimed) {
					continue
				}
				done = append(done, a.Key)
			}
			return tx.CloseAlerts(ctx, done)
		})
		if err != nil {
			return fmt.Errorf("alerts: close resolved alerts: %w", err)
		}
		if n < batchSize {
			return nil
		}
	}
}

// owed reports whether a resolved alert still owes some channel a notice (or one is under way:
// its community's message to the channel is claimed).
func (c *Checker) owed(a *ledger.AlertRow, ds []ledger.DeliveryRow, now time.Time, silenced bool, claimed map[[2]string]bool) bool {
	if now.Sub(a.ResolvedAt) >= c.retention {
		return false
	}
	for ci := range c.channels {
		ch := &c.channels[ci]
		var d ledger.DeliveryRow
		for _, x := range ds {
			if x.Channel == ch.Name {
				d = x
			}
		}
		if c.due(a, &d, ch, now, silenced) != "" || claimed[[2]string{ch.Name, a.Community}] {
			return true
		}
	}
	return false
}

// tidy forgets the closed alerts resolved longer ago than the retention, with their history.
func (c *Checker) tidy(ctx context.Context, now time.Time) error {
	err := c.store.st.AlertTx(ctx, func(tx ledger.AlertTx) error {
		_, err := tx.DeleteClosedAlerts(ctx, now.Add(-c.retention))
		return err
	})
	if err != nil {
		return fmt.Errorf("alerts: forget old alerts: %w", err)
	}
	return nil
}

// storedAlert is the body of a stored alert: what an alert shows besides its columns (key, rule,
// severity, community, enterprise) and its state. A hundred thousand of them are written on a
// city's first check: each byte left out is a hundred kilobytes not written.
type storedAlert struct {
	Operator    *notify.Operator    `json:"operator,omitempty"`
	Item        *notify.Item        `json:"item,omitempty"`
	Certificate *notify.Certificate `json:"certificate,omitempty"`
	Alarm       *notify.Alarm       `json:"alarm,omitempty"`
	System      *notify.System      `json:"system,omitempty"`
	Hazard      *notify.Hazard      `json:"hazard,omitempty"`
	Message     string              `json:"message"`
}

// alertJSON is the body stored for an alert.
func alertJSON(a *Alert) (string, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(storedAlert{a.Operator, a.Item, a.Certificate, a.Alarm, a.System, a.Hazard, a.Message}); err != nil {
		return "", fmt.Errorf("alert %s: %w", a.Key, err)
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

// alertOf rebuilds the alert object of a stored alert from its columns, its body and its state, in
// loc. Its rule's name is the registry's (a rule renamed shows its new name).
func alertOf(r *ledger.AlertRow, body string, loc *time.Location) (Alert, error) {
	var b storedAlert
	if err := json.Unmarshal([]byte(body), &b); err != nil {
		return Alert{}, fmt.Errorf("alert %s: stored alert: %w", r.Key, err)
	}
	a := Alert{
		Key: r.Key, Rule: r.Rule, RuleName: rules.Name(r.Rule), Severity: r.Severity, Community: r.Community,
		Enterprise: notify.Enterprise{USCC: r.EnterpriseUSCC, Name: r.EnterpriseName},
		Operator:   b.Operator, Item: b.Item, Certificate: b.Certificate, Alarm: b.Alarm, System: b.System, Hazard: b.Hazard, Message: b.Message,
	}
	if a.Alarm != nil {
		a.Alarm.RaisedAt = a.Alarm.RaisedAt.In(loc)
	}
	if s := a.System; s != nil {
		for _, t := range []*time.Time{s.LastSuccess, s.FailingSince} {
			if t != nil {
				*t = t.In(loc)
			}
		}
	}
	stateInto(&a, r, loc)
	return a, nil
}

// alertHash hashes what an alert shows (the stored part: alertJSON's fields) without encoding it,
// so that a check over a hundred thousand unchanged alerts encodes none of them: FNV-1a over the
// fields, each followed by a zero byte, presence marked for the optional parts.
func alertHash(a *Alert) string {
	h := uint64(14695981039346656037)
	w := func(s string) {
		for i := 0; i < len(s); i++ {
			h = (h ^ uint64(s[i])) * 1099511628211
		}
		h *= 1099511628211
	}
	num := func(n int64) { w(strconv.FormatInt(n, 10)) }
	present := func(ok bool) {
		if ok {
			w("1")
		} else {
			w("0")
		}
	}
	tm := func(t *time.Time) {
		present(t != nil)
		if t != nil {
			num(t.UnixNano())
		}
	}
	w(a.Key)
	w(a.Rule)
	w(a.RuleName)
	w(a.Severity)
	w(a.Community)
	w(a.Enterprise.USCC)
	w(a.Enterprise.Name)
	w(a.Message)
	present(a.Operator != nil)
	if o := a.Operator; o != nil {
		w(o.Name)
		w(o.IDNumber)
	}
	present(a.Item != nil)
	if it := a.Item; it != nil {
		w(it.Code)
		w(it.Name)
	}
	present(a.Certificate != nil)
	if c := a.Certificate; c != nil {
		w(c.CertNo)
		w(string(c.Status))
		w(c.ValidUntil.String())
		w(c.ReviewDueDate.String())
	}
	present(a.Alarm != nil)
	if al := a.Alarm; al != nil {
		w(al.ID)
		w(al.Point)
		w(al.Quantity)
		w(al.Value)
		w(al.Threshold)
		w(al.Unit)
		num(int64(al.Level))
		num(al.RaisedAt.UnixNano())
	}
	present(a.System != nil)
	if s := a.System; s != nil {
		w(s.Subject)
		w(s.Name)
		tm(s.LastSuccess)
		tm(s.FailingSince)
		w(s.LastError)
	}
	// Only a hazard alert hashes its hazard (no marker when absent): every other alert keeps the
	// hash it had before the hazard rules, so that none is rewritten for them.
	if hz := a.Hazard; hz != nil {
		w("hazard")
		w(hz.ID)
		w(hz.YHID)
		w(hz.Level)
		w(hz.Clause)
		w(hz.Deadline.String())
		w(hz.Status)
	}
	return strconv.FormatUint(h, 16)
}

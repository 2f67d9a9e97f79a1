package ledger

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"

	"streetsync/mapping"
)

// Content hashes decide inserted/updated/unchanged and hold the three-way comparison. They are
// mapping's (StreetHash, ContentHash: the canonical form in a fixed field order, versioned), so
// that sync, reconcile and the ledger agree on what "changed" means. Two hashes mapping has no
// use for are made here the same way: an enterprise's street content with its remark, and the
// street's alarm feedback.

type hasher struct{ b []byte }

func (h *hasher) add(name, value string) {
	h.b = append(h.b, 0x1e)
	h.b = append(h.b, name...)
	h.b = append(h.b, 0x1f)
	h.b = append(h.b, value...)
}

func (h *hasher) sum() string {
	s := sha256.Sum256(h.b)
	return hex.EncodeToString(s[:])
}

// streetHash hashes the street-owned fields of an enterprise — those the platform stores and the
// three-way comparison is about.
func streetHash(e *mapping.Enterprise) string { return e.StreetHash() }

// enterpriseContentHash hashes everything the street writes: the street-owned fields plus the
// remark, which is the street's own and never pushed.
func enterpriseContentHash(e *mapping.Enterprise) string {
	return contentHashOf(e.StreetHash(), e.Remark)
}

// contentHashOf is enterpriseContentHash given the street hash.
func contentHashOf(street, remark string) string {
	h := hasher{b: make([]byte, 0, 128)}
	h.add("ledger.enterprise/v1", "")
	h.add("street", street)
	h.add("remark", mapping.CleanText(remark))
	return h.sum()
}

func operatorHash(o *mapping.Operator) string { return o.ContentHash() }

// certificateHash leaves out UpdatedAt (mapping's rule): a certificate resent with a new change
// time and the same content is unchanged.
func certificateHash(c *mapping.Certificate) string { return c.ContentHash() }

func alarmHash(a *mapping.Alarm) string { return a.ContentHash() }

func feedbackHash(f *mapping.AlarmFeedback) string {
	h := hasher{b: make([]byte, 0, 128)}
	h.add("ledger.feedback/v1", "")
	h.add("status", f.Status)
	h.add("note", f.Note)
	h.add("handler", f.Handler)
	h.add("at", strconv.FormatInt(millis(f.HandledAt), 10))
	return h.sum()
}

// parseKeyRisks reads the column form of 重点类型: codes joined by commas, in the order given
// (mapping keeps them in the contract's order).
func parseKeyRisks(s string) []mapping.KeyRisk {
	if s == "" {
		return nil
	}
	parts := strings.Split(s, ",")
	out := make([]mapping.KeyRisk, len(parts))
	for i, p := range parts {
		out[i] = mapping.KeyRisk(p)
	}
	return out
}

// problemJSON is the stored form of a mapping.Problem (warnings, quarantine reasons).
type problemJSON struct {
	Field    string `json:"field,omitempty"`
	Label    string `json:"label,omitempty"`
	Value    string `json:"value,omitempty"`
	Reason   string `json:"reason"`
	Severity string `json:"severity"`
}

func encodeProblems(ps mapping.Problems) string {
	if len(ps) == 0 {
		return ""
	}
	out := make([]problemJSON, len(ps))
	for i, p := range ps {
		out[i] = problemJSON{Field: p.Field, Label: p.Label, Value: p.Value, Reason: p.Reason, Severity: p.Severity.String()}
	}
	b, _ := json.Marshal(out) // strings only: cannot fail
	return string(b)
}

func decodeProblems(s string) (mapping.Problems, error) {
	if s == "" {
		return nil, nil
	}
	var in []problemJSON
	if err := json.Unmarshal([]byte(s), &in); err != nil {
		return nil, err
	}
	out := make(mapping.Problems, len(in))
	for i, p := range in {
		sev := mapping.SeverityError
		if p.Severity == mapping.SeverityWarning.String() {
			sev = mapping.SeverityWarning
		}
		out[i] = mapping.Problem{Field: p.Field, Label: p.Label, Value: p.Value, Reason: p.Reason, Severity: sev}
	}
	return out, nil
}

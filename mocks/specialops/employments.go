package specialops

import (
	"cmp"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"

	"streetsync/mocks/dataset"
	"streetsync/mocks/internal/gbcode"
)

// empKey identifies a registration: (certNo, itemCode, enterpriseUscc).
type empKey struct{ certNo, itemCode, uscc string }

type employment struct {
	certNo, itemCode, uscc string
	idNumber, name         string
	start, end             dataset.Day
	updated                int64
}

// Employment is the wire registration as the system answers it.
type Employment struct {
	CertNo         string  `json:"certNo"`
	ItemCode       string  `json:"itemCode"`
	EnterpriseUSCC string  `json:"enterpriseUscc"`
	IDNumber       string  `json:"idNumber"`
	StartDate      string  `json:"startDate"`
	EndDate        *string `json:"endDate"`
	Status         string  `json:"status"`
	UpdatedAt      string  `json:"updatedAt"`
	// EnterpriseName is kept for inspection; the answer does not carry it.
	EnterpriseName string `json:"-"`
}

func (e *employment) export(today dataset.Day) Employment {
	out := Employment{CertNo: e.certNo, ItemCode: e.itemCode, EnterpriseUSCC: e.uscc, IDNumber: e.idNumber,
		StartDate: e.start.String(), Status: "ACTIVE", UpdatedAt: formatTime(e.updated), EnterpriseName: e.name}
	if e.end != 0 {
		s := e.end.String()
		out.EndDate = &s
		if e.end < today {
			out.Status = "ENDED"
		}
	}
	return out
}

// putBody is the PUT body; EndDate distinguishes null (open-ended) from a date.
type putBody struct {
	CertNo         string  `json:"certNo"`
	ItemCode       string  `json:"itemCode"`
	IDNumber       string  `json:"idNumber"`
	EnterpriseUSCC string  `json:"enterpriseUscc"`
	EnterpriseName string  `json:"enterpriseName"`
	StartDate      string  `json:"startDate"`
	EndDate        *string `json:"endDate"`
}

// putEmployment is PUT /api/v2/employments. Errors in the contract's order: 404
// certificate_not_found, 409 holder_mismatch, 409 certificate_not_valid (only when creating or
// extending), 422 field errors.
func (p *Platform) putEmployment(req *request) *answer {
	var b putBody
	if err := json.Unmarshal(req.body, &b); err != nil {
		return fail(http.StatusBadRequest, errInvalidRequest, msgBadBody)
	}
	today := dataset.DayOf(req.now)
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.lookup(b.CertNo, b.ItemCode)
	if c == nil {
		return fail(http.StatusNotFound, errCertNotFound, msgCertNotFound)
	}
	if !strings.EqualFold(b.IDNumber, c.id) {
		return fail(http.StatusConflict, errHolderMismatch, msgHolderMismatch)
	}
	key := empKey{foldX(c.certNo), c.itemCode, b.EnterpriseUSCC}
	existing := p.emps[key]
	start, startOK := dataset.ParseDay(b.StartDate)
	var end dataset.Day
	endOK := true
	if b.EndDate != nil {
		end, endOK = dataset.ParseDay(*b.EndDate)
	}
	if extends(existing, start, startOK, end, endOK) && !c.validOn(today) {
		return fail(http.StatusConflict, errCertNotValid, msgCertNotValid)
	}
	fields := map[string]string{}
	switch {
	case b.EnterpriseUSCC == "":
		fields["enterpriseUscc"] = msgRequired
	case !gbcode.USCCWellFormed(b.EnterpriseUSCC):
		fields["enterpriseUscc"] = msgBadUSCC
	}
	if strings.TrimSpace(b.EnterpriseName) == "" {
		fields["enterpriseName"] = msgRequired
	}
	switch {
	case b.StartDate == "":
		fields["startDate"] = msgRequired
	case !startOK:
		fields["startDate"] = msgBadDate
	}
	switch {
	case !endOK:
		fields["endDate"] = msgBadDate
	case startOK && end != 0 && end < start:
		fields["endDate"] = msgEndBeforeStart
	}
	if len(fields) > 0 {
		a := jsonAnswer(http.StatusUnprocessableEntity, errorBody{Error: errValidation, Message: msgValidation, Fields: fields})
		a.errStr = errValidation
		return a
	}
	status := http.StatusOK
	if existing == nil {
		existing = &employment{certNo: c.certNo, itemCode: c.itemCode, uscc: b.EnterpriseUSCC}
		p.emps[key] = existing
		status = http.StatusCreated
	}
	if status == http.StatusCreated || existing.start != start || existing.end != end ||
		existing.idNumber != b.IDNumber || existing.name != b.EnterpriseName {
		existing.idNumber, existing.name, existing.start, existing.end = b.IDNumber, b.EnterpriseName, start, end
		existing.updated = p.stamp(req.now)
	}
	return jsonAnswer(status, existing.export(today))
}

// extends reports whether a PUT creates or extends a registration, which needs a valid
// certificate; a PUT that only sets (or brings forward) endDate on an existing one does not.
func extends(existing *employment, start dataset.Day, startOK bool, end dataset.Day, endOK bool) bool {
	if existing == nil || !startOK || !endOK {
		return true
	}
	if start < existing.start {
		return true
	}
	switch {
	case end == 0:
		return existing.end != 0 // clearing endDate extends; an unchanged open registration does not
	case existing.end == 0:
		return false // setting endDate ends it
	default:
		return end > existing.end
	}
}

// stamp is a change time, strictly increasing like the feed's; caller holds p.mu.
func (p *Platform) stamp(now time.Time) int64 {
	t := now.Truncate(time.Second).UnixNano()
	if t <= p.lastChange {
		t = p.lastChange + int64(time.Millisecond)
	}
	p.lastChange = t
	return t
}

func sortEmployments(es []Employment) {
	slices.SortFunc(es, func(a, b Employment) int {
		return cmp.Or(strings.Compare(a.CertNo, b.CertNo), strings.Compare(a.ItemCode, b.ItemCode),
			strings.Compare(a.EnterpriseUSCC, b.EnterpriseUSCC))
	})
}

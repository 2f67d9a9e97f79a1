package quanzhou

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/http"
	"net/url"

	"streetsync/connectors/httpx"
	"streetsync/mapping"
)

// Hazards (contracts/hazards.md): the region's hazards are listed like enterprises, the street's
// own are created idempotently by their lybh, and status changes move forward only.

var hazardListing = listing[mapping.QZHazard]{
	endpoint: "/hazards",
	key:      func(h *mapping.QZHazard) (string, string) { return h.Gxsj, h.Yhid },
	field:    hazardField,
}

// ListHazards walks GET /hazards for the client's region like ListEnterprises: every hazard with
// from the mark on (the zero Mark: all), as the platform sent it, none missed although hazards
// move while the walk runs; Progress holds the next walk's Mark once the walk is Done. A page longer than the
// pageSize asked is refused (a transient ErrMalformed). An error ends the sequence.
func (c *Client) ListHazards(ctx context.Context, from Mark) (iter.Seq2[mapping.QZHazard, error], *Progress) {
	return walkSeq(ctx, c, hazardListing, from)
}

// PulledHazard is one hazard of the listing in canonical form.
type PulledHazard struct {
	Hazard mapping.Hazard
	// Problems are what normalization found: only a missing yhid or tyshxydm is an error; the
	// rest are warnings kept with the record (the platform's record is kept, not lost).
	Problems mapping.Problems
	Wire     mapping.QZHazard // the record as the platform sent it
}

// Hazards is ListHazards converted with mapping.HazardFromQZ; cl resolves the clauses (nil: the
// built-in list).
func (c *Client) Hazards(ctx context.Context, from Mark, cl *mapping.Clauses) (iter.Seq2[PulledHazard, error], *Progress) {
	seq, prog := c.ListHazards(ctx, from)
	return converted(seq, func(w mapping.QZHazard) PulledHazard {
		h, ps := mapping.HazardFromQZ(w, cl)
		return PulledHazard{Hazard: h, Problems: ps, Wire: w}
	}), prog
}

// walkSeq is a walk of one listing as a sequence, with its Progress.
func walkSeq[T any](ctx context.Context, c *Client, l listing[T], from Mark) (iter.Seq2[T, error], *Progress) {
	prog := &Progress{}
	return func(yield func(T, error) bool) {
		walk(ctx, c, l, from, prog, yield)
	}, prog
}

// converted maps a sequence of wire records to canonical ones; an error ends it.
func converted[W, R any](seq iter.Seq2[W, error], conv func(W) R) iter.Seq2[R, error] {
	return func(yield func(R, error) bool) {
		for w, err := range seq {
			if err != nil {
				var zero R
				yield(zero, err)
				return
			}
			if !yield(conv(w), nil) {
				return
			}
		}
	}
}

// CreateHazard is POST /hazards for a hazard the street reported: h carries its lybh and no yhid
// (one is ignored); an empty xzqhdm is the client's region. It returns the platform's yhid and
// whether the platform already had this very hazard (the same lybh with the same content: a
// repeat after a lost answer is safe). The errors callers act on:
//   - ErrConflict (40902, permanent): the lybh is taken with different content; a person decides;
//   - ErrNotFound (40401, permanent): the platform does not know the enterprise; push it first;
//   - ErrInvalid (40001, 40012–40015, permanent): the record is refused; APIError.Message says
//     why, in the platform's words;
//   - anything Temporary: send it again later.
func (c *Client) CreateHazard(ctx context.Context, h mapping.QZHazard) (yhid string, duplicate bool, err error) {
	if h.Lybh == "" {
		return "", false, fmt.Errorf("quanzhou: CreateHazard without lybh: %w", ErrInvalid)
	}
	h.Yhid, h.Qyid, h.Qymc, h.Gxsj = "", "", "", ""
	if h.Xzqhdm == "" {
		h.Xzqhdm = c.region
	}
	body, err := json.Marshal(h)
	if err != nil {
		return "", false, fmt.Errorf("quanzhou: encode hazard: %w", err)
	}
	var data struct {
		Yhid      string `json:"yhid"`
		Duplicate bool   `json:"duplicate"`
	}
	cl := &call{method: http.MethodPost, endpoint: "/hazards", path: "/hazards", body: body, key: h.Lybh,
		idempotent: true} // the platform recognises a repeated lybh (duplicate: true)
	if err := c.do(ctx, cl, &data); err != nil {
		return "", false, err
	}
	if data.Yhid == "" {
		return "", false, c.newError(cl, http.StatusOK, "0", "answer without yhid", httpx.KindTransient, ErrMalformed, nil)
	}
	return data.Yhid, data.Duplicate, nil
}

// ReportHazard creates a canonical street hazard (mapping.HazardToQZ). Callers validate it with
// mapping.ValidateHazard first; a hazard with errors belongs in quarantine, not here.
func (c *Client) ReportHazard(ctx context.Context, h *mapping.Hazard) (yhid string, duplicate bool, err error) {
	return c.CreateHazard(ctx, mapping.HazardToQZ(h))
}

// UpdateHazardStatus is POST /hazards/{yhid}/status. duplicate reports that the platform already
// had exactly this change (so repeating it is safe). A backward move is ErrStatusBackward (40903,
// permanent, a conflict: the platform's copy is further along); an unknown hazard ErrNotFound.
func (c *Client) UpdateHazardStatus(ctx context.Context, yhid string, s mapping.QZHazardStatus) (duplicate bool, err error) {
	if yhid == "" {
		return false, fmt.Errorf("quanzhou: hazard status without yhid: %w", ErrInvalid)
	}
	body, err := json.Marshal(s)
	if err != nil {
		return false, fmt.Errorf("quanzhou: encode hazard status: %w", err)
	}
	var data struct {
		Duplicate bool `json:"duplicate"`
	}
	cl := &call{method: http.MethodPost, endpoint: "/hazards/{yhid}/status",
		path: "/hazards/" + url.PathEscape(yhid) + "/status", body: body, key: yhid,
		idempotent: true} // the platform recognises a repeat (duplicate: true)
	err = c.do(ctx, cl, &data)
	return data.Duplicate, err
}

// SetHazardStatus sends a canonical status change (mapping.StatusChangeToQZ) for the hazard
// ch.HazardID. Callers check it with mapping.ValidateStatusChange first.
func (c *Client) SetHazardStatus(ctx context.Context, ch mapping.HazardStatusChange) (duplicate bool, err error) {
	return c.UpdateHazardStatus(ctx, ch.HazardID, mapping.StatusChangeToQZ(ch))
}

// hazardField maps a platform hazard's keys to its fields (decode.go).
func hazardField(h *mapping.QZHazard, key string) (*string, bool) {
	switch key {
	case "yhid":
		return &h.Yhid, false
	case "lybh":
		return &h.Lybh, false
	case "tyshxydm":
		return &h.Tyshxydm, false
	case "qyid":
		return &h.Qyid, false
	case "qymc":
		return &h.Qymc, false
	case "xzqhdm":
		return &h.Xzqhdm, false
	case "yhly":
		return &h.Yhly, false
	case "yhdj":
		return &h.Yhdj, false
	case "pdbz":
		return &h.Pdbz, false
	case "yhms":
		return &h.Yhms, false
	case "yhbw":
		return &h.Yhbw, false
	case "fxrq":
		return &h.Fxrq, false
	case "fxr":
		return &h.Fxr, false
	case "zgqx":
		return &h.Zgqx, false
	case "zgzrr":
		return &h.Zgzrr, false
	case "zgcs":
		return &h.Zgcs, false
	case "zgzt":
		return &h.Zgzt, false
	case "zgsm":
		return &h.Zgsm, false
	case "zgczr":
		return &h.Zgczr, false
	case "zgczsj":
		return &h.Zgczsj, false
	case "gxsj":
		return &h.Gxsj, false
	}
	if n := foldKey(key, hazardKeys...); n != "" {
		return hazardField(h, n)
	}
	return nil, false
}

var hazardKeys = []string{"yhid", "lybh", "tyshxydm", "qyid", "qymc", "xzqhdm", "yhly", "yhdj", "pdbz", "yhms", "yhbw",
	"fxrq", "fxr", "zgqx", "zgzrr", "zgcs", "zgzt", "zgsm", "zgczr", "zgczsj", "gxsj"}

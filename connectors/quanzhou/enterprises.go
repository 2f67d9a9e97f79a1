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

var enterpriseListing = listing[mapping.QZEnterprise]{
	endpoint: "/enterprises",
	key:      func(e *mapping.QZEnterprise) (string, string) { return e.Gxsj, e.Qyid },
	field:    enterpriseField,
}

// ListEnterprises walks GET /enterprises for the client's region: every record from the mark on
// (the zero Mark: all), as the platform sent it, and none missed although records move while the
// walk runs (listing.go). Records come in no particular order and may come twice; the returned
// Progress holds the next walk's Mark once the walk is Done. An error ends the sequence.
func (c *Client) ListEnterprises(ctx context.Context, from Mark) (iter.Seq2[mapping.QZEnterprise, error], *Progress) {
	prog := &Progress{}
	return func(yield func(mapping.QZEnterprise, error) bool) {
		walk(ctx, c, enterpriseListing, from, prog, yield)
	}, prog
}

// PulledEnterprise is one enterprise of the listing in canonical form.
type PulledEnterprise struct {
	Enterprise mapping.Enterprise
	// Problems are what normalization found: errors in street-owned fields mean quarantine,
	// warnings are kept with the record.
	Problems mapping.Problems
	Wire     mapping.QZEnterprise // the record as the platform sent it
}

// Enterprises is ListEnterprises converted with mapping.EnterpriseFromQZ.
func (c *Client) Enterprises(ctx context.Context, from Mark) (iter.Seq2[PulledEnterprise, error], *Progress) {
	seq, prog := c.ListEnterprises(ctx, from)
	return func(yield func(PulledEnterprise, error) bool) {
		for w, err := range seq {
			if err != nil {
				yield(PulledEnterprise{}, err)
				return
			}
			e, ps := mapping.EnterpriseFromQZ(w)
			if !yield(PulledEnterprise{Enterprise: e, Problems: ps, Wire: w}, nil) {
				return
			}
		}
	}, prog
}

// GetEnterprise is GET /enterprises/{tyshxydm}; 40401 is ErrNotFound.
func (c *Client) GetEnterprise(ctx context.Context, uscc string) (mapping.QZEnterprise, error) {
	var e mapping.QZEnterprise
	if uscc == "" {
		return e, fmt.Errorf("quanzhou: GetEnterprise without tyshxydm: %w", ErrInvalid)
	}
	cl := &call{method: http.MethodGet, endpoint: "/enterprises/{tyshxydm}",
		path: "/enterprises/" + url.PathEscape(uscc), key: uscc, idempotent: true}
	err := c.do(ctx, cl, &e)
	return e, err
}

// Save results (batchSave "result").
const (
	ResultCreated   = "CREATED"
	ResultUpdated   = "UPDATED"
	ResultUnchanged = "UNCHANGED"
	ResultFailed    = "FAILED"
)

// SaveResult is the outcome of one record given to BatchSave.
type SaveResult struct {
	USCC   string // tyshxydm as sent
	Qyid   string // the platform's id (CREATED, UPDATED, UNCHANGED)
	Result string // CREATED, UPDATED, UNCHANGED, FAILED; "" when its chunk was not saved at all
	// Err is nil on success; a *ItemError for a FAILED item; the chunk's error (*APIError, or
	// the context's) when the call carrying the record failed or was never made.
	Err error
}

type saveItem struct {
	Index    int    `json:"index"`
	Tyshxydm string `json:"tyshxydm"`
	Qyid     string `json:"qyid"`
	Result   string `json:"result"`
	ErrCode  int    `json:"errCode"`
	ErrMsg   string `json:"errMsg"`
}

// BatchSave is POST /enterprises/batchSave in chunks of at most 100 records. It returns one
// result per record, in the records' order. The first chunk that fails as a whole stops the
// batch: its records and all later ones carry that error (so the caller queues them), and it is
// also returned. Repeating a batch is safe: the platform upserts by tyshxydm (UNCHANGED).
func (c *Client) BatchSave(ctx context.Context, records []mapping.QZEnterprise) ([]SaveResult, error) {
	results := make([]SaveResult, len(records))
	for i := range records {
		results[i].USCC = records[i].Tyshxydm
	}
	for from := 0; from < len(records); from += maxBatchSave {
		to := min(from+maxBatchSave, len(records))
		if err := c.saveChunk(ctx, records[from:to], results[from:to], from); err != nil {
			for i := from; i < len(records); i++ {
				results[i].Result, results[i].Err = "", err
			}
			return results, err
		}
	}
	return results, nil
}

func (c *Client) saveChunk(ctx context.Context, chunk []mapping.QZEnterprise, results []SaveResult, offset int) error {
	body, err := json.Marshal(struct {
		List []mapping.QZEnterprise `json:"list"`
	}{chunk})
	if err != nil {
		return fmt.Errorf("quanzhou: encode batchSave: %w", err)
	}
	key := chunk[0].Tyshxydm
	if len(chunk) > 1 {
		key = fmt.Sprintf("%s … %s (%d)", chunk[0].Tyshxydm, chunk[len(chunk)-1].Tyshxydm, len(chunk))
	}
	var data struct {
		SuccessCount int                         `json:"successCount"`
		FailCount    int                         `json:"failCount"`
		Results      httpx.BoundedList[saveItem] `json:"results"`
	}
	data.Results.Max = len(chunk) // one result per record sent, no more
	// An upsert by tyshxydm: sending it again after a dropped answer gives UNCHANGED or UPDATED.
	cl := &call{method: http.MethodPost, endpoint: "/enterprises/batchSave", path: "/enterprises/batchSave",
		body: body, key: key, idempotent: true}
	if err := c.do(ctx, cl, &data); err != nil {
		return err
	}
	answered := make([]bool, len(chunk))
	for _, it := range data.Results.Items {
		if it.Index < 0 || it.Index >= len(chunk) || answered[it.Index] ||
			(it.Tyshxydm != "" && it.Tyshxydm != chunk[it.Index].Tyshxydm) {
			return c.newError(cl, http.StatusOK, "0", fmt.Sprintf("result index %d does not match the records sent", it.Index),
				httpx.KindTransient, ErrMalformed, nil)
		}
		answered[it.Index] = true
		r := &results[it.Index]
		r.Qyid, r.Result = it.Qyid, it.Result
		switch it.Result {
		case ResultCreated, ResultUpdated, ResultUnchanged:
		default:
			r.Result = ResultFailed
			r.Err = &ItemError{Index: offset + it.Index, USCC: chunk[it.Index].Tyshxydm, Code: it.ErrCode, Msg: it.ErrMsg}
		}
	}
	for i, ok := range answered {
		if !ok {
			results[i].Err = c.newError(cl, http.StatusOK, "0", "no result for this record", httpx.KindTransient, ErrMalformed, nil)
		}
	}
	return nil
}

// SaveEnterprises pushes canonical records: each is written with mapping.EnterpriseToQZ (street-
// owned fields in the platform's canonical forms) and saved with BatchSave. Callers validate
// first; records with errors belong in quarantine, not here.
func (c *Client) SaveEnterprises(ctx context.Context, records []mapping.Enterprise) ([]SaveResult, error) {
	wire := make([]mapping.QZEnterprise, len(records))
	for i := range records {
		wire[i] = mapping.EnterpriseToQZ(&records[i])
	}
	return c.BatchSave(ctx, wire)
}

package quanzhou

import (
	"context"
	"iter"

	"streetsync/mapping"
)

// Inspections (企业检查记录, contracts/hazards.md): read-only, listed like hazards.

var inspectionListing = listing[mapping.QZInspection]{
	endpoint: "/inspections",
	key:      func(in *mapping.QZInspection) (string, string) { return in.Gxsj, in.Jcid },
	field:    inspectionField,
}

// ListInspections walks GET /inspections for the client's region like ListHazards.
func (c *Client) ListInspections(ctx context.Context, from Mark) (iter.Seq2[mapping.QZInspection, error], *Progress) {
	return walkSeq(ctx, c, inspectionListing, from)
}

// PulledInspection is one inspection of the listing in canonical form.
type PulledInspection struct {
	Inspection mapping.Inspection
	Problems   mapping.Problems // only a missing jcid or tyshxydm is an error
	Wire       mapping.QZInspection
}

// Inspections is ListInspections converted with mapping.InspectionFromQZ.
func (c *Client) Inspections(ctx context.Context, from Mark) (iter.Seq2[PulledInspection, error], *Progress) {
	seq, prog := c.ListInspections(ctx, from)
	return converted(seq, func(w mapping.QZInspection) PulledInspection {
		in, ps := mapping.InspectionFromQZ(w)
		return PulledInspection{Inspection: in, Problems: ps, Wire: w}
	}), prog
}

// inspectionField maps a platform inspection's keys to its fields (decode.go); fxyhs is a number
// or a string, and null clears it, as mapping.FlexNumber reads it.
func inspectionField(in *mapping.QZInspection, key string) (*string, bool) {
	switch key {
	case "jcid":
		return &in.Jcid, false
	case "tyshxydm":
		return &in.Tyshxydm, false
	case "qymc":
		return &in.Qymc, false
	case "jcrq":
		return &in.Jcrq, false
	case "jclx":
		return &in.Jclx, false
	case "dzr":
		return &in.Dzr, false
	case "fxyhs":
		return (*string)(&in.Fxyhs), true
	case "gxsj":
		return &in.Gxsj, false
	}
	if n := foldKey(key, inspectionKeys...); n != "" {
		return inspectionField(in, n)
	}
	return nil, false
}

var inspectionKeys = []string{"jcid", "tyshxydm", "qymc", "jcrq", "jclx", "dzr", "fxyhs", "gxsj"}

package ledger

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"streetsync/mapping"
)

// The enterprise columns come from mapping's field table (mapping.EnterpriseTable, Field.Ledger):
// a street-owned field added there is written by the upserts, read back, and kept in the
// platform's stored view without a change here — only its migration. The columns that are the
// ledger's own bookkeeping (hashes, times, warnings) are named here, and so are the
// platform-owned ones the platform-side methods write (platformState), whose rules differ.

// enterpriseKey is the primary key column.
const enterpriseKey = "uscc"

// enterpriseBookkeeping lists the enterprises table's own columns, which no field describes.
var enterpriseBookkeeping = []string{"warnings", "content_hash", "street_hash", "accepted_hash", "accepted_at",
	"platform_street", "platform_hash", "platform_view_at", "created_at", "modified_at"}

// enterpriseFields are the fields stored in columns of their own; streetFields those the street
// writes (UpsertEnterprises, and adoption from the platform); viewFields the street-owned fields
// the platform holds, kept as its view (platform_street).
var (
	enterpriseFields = fieldsWhere(func(f *mapping.Field[mapping.Enterprise]) bool { return f.Ledger != "" })
	streetFields     = fieldsWhere(func(f *mapping.Field[mapping.Enterprise]) bool {
		return f.Ledger != "" && f.Owner == mapping.OwnerStreet
	})
	viewFields = fieldsWhere(func(f *mapping.Field[mapping.Enterprise]) bool {
		return f.Owner == mapping.OwnerStreet && f.Wire != "" && f.Ledger != enterpriseKey
	})
)

func fieldsWhere(pick func(*mapping.Field[mapping.Enterprise]) bool) []*mapping.Field[mapping.Enterprise] {
	var out []*mapping.Field[mapping.Enterprise]
	for _, f := range mapping.EnterpriseTable {
		if pick(f) {
			out = append(out, f)
		}
	}
	return out
}

// columnList joins the fields' columns with ", ".
func columnList(fs []*mapping.Field[mapping.Enterprise]) string {
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.Ledger
	}
	return strings.Join(names, ", ")
}

// columnValue is a field of e as its column holds it: text, or an integer for counts, flags
// (0/1) and times (Unix milliseconds); dates yyyy-MM-dd and key-risk lists comma-separated.
func columnValue(f *mapping.Field[mapping.Enterprise], e *mapping.Enterprise) any {
	switch f.Kind() {
	case mapping.KindText:
		return *f.Text(e)
	case mapping.KindCount:
		return int64(*f.Count(e))
	case mapping.KindFlag:
		return flag(*f.Flag(e))
	case mapping.KindTime:
		return millis(*f.Time(e))
	}
	return f.Get(e) // dates and lists: their canonical text
}

// appendColumnValues appends the columns of fs for e.
func appendColumnValues(args []any, fs []*mapping.Field[mapping.Enterprise], e *mapping.Enterprise) []any {
	for _, f := range fs {
		args = append(args, columnValue(f, e))
	}
	return args
}

// fieldScan reads the columns of enterpriseFields into an enterprise: text straight into the
// record, the rest through a number or a text first.
type fieldScan struct {
	nums  []int64
	texts []string
}

// dests returns the scan destinations for e, in enterpriseFields' order.
func (fs *fieldScan) dests(e *mapping.Enterprise) []any {
	n := len(enterpriseFields)
	if fs.nums == nil {
		fs.nums, fs.texts = make([]int64, n), make([]string, n)
	}
	out := make([]any, n)
	for i, f := range enterpriseFields {
		switch f.Kind() {
		case mapping.KindText:
			out[i] = f.Text(e)
		case mapping.KindCount, mapping.KindFlag, mapping.KindTime:
			out[i] = &fs.nums[i]
		default:
			out[i] = &fs.texts[i]
		}
	}
	return out
}

// load sets the fields of e that were scanned through a number or a text.
func (fs *fieldScan) load(e *mapping.Enterprise) error {
	var errs []error
	for i, f := range enterpriseFields {
		switch f.Kind() {
		case mapping.KindCount:
			*f.Count(e) = int(fs.nums[i])
		case mapping.KindFlag:
			*f.Flag(e) = fs.nums[i] != 0
		case mapping.KindTime:
			*f.Time(e) = fromMillis(fs.nums[i])
		case mapping.KindDate:
			d, err := parseDate(fs.texts[i])
			*f.Date(e) = d
			errs = append(errs, err)
		case mapping.KindList:
			*f.List(e) = parseKeyRisks(fs.texts[i])
		}
	}
	return errors.Join(errs...)
}

// encodeStreetView is the stored form of the platform's street-owned values (platform_street):
// a JSON object keyed by the fields' canonical names, values typed by kind (text, list of codes,
// number, boolean, date text).
func encodeStreetView(e *mapping.Enterprise) string {
	v := make(map[string]any, len(viewFields))
	for _, f := range viewFields {
		switch f.Kind() {
		case mapping.KindText:
			v[f.Name] = *f.Text(e)
		case mapping.KindList:
			codes := []string{}
			for _, k := range *f.List(e) {
				codes = append(codes, string(k))
			}
			if len(codes) == 0 {
				codes = nil // null, as the view has always written an empty list
			}
			v[f.Name] = codes
		case mapping.KindCount:
			v[f.Name] = *f.Count(e)
		case mapping.KindFlag:
			v[f.Name] = *f.Flag(e)
		default:
			v[f.Name] = f.Get(e)
		}
	}
	b, _ := json.Marshal(v) // plain values: cannot fail
	return string(b)
}

// decodeStreetView reads platform_street back; a field the stored view lacks (added since it
// was written) is empty.
func decodeStreetView(uscc, s string) (*mapping.Enterprise, error) {
	if s == "" {
		return nil, nil
	}
	var v map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return nil, err
	}
	e := &mapping.Enterprise{USCC: uscc}
	for _, f := range viewFields {
		raw, ok := v[f.Name]
		if !ok {
			continue
		}
		if err := decodeViewValue(f, e, raw); err != nil {
			return nil, fmt.Errorf("stored view %s: %w", f.Name, err)
		}
	}
	return e, nil
}

func decodeViewValue(f *mapping.Field[mapping.Enterprise], e *mapping.Enterprise, raw json.RawMessage) error {
	switch f.Kind() {
	case mapping.KindText:
		return json.Unmarshal(raw, f.Text(e))
	case mapping.KindList:
		var codes []string
		if err := json.Unmarshal(raw, &codes); err != nil {
			return err
		}
		for _, c := range codes {
			*f.List(e) = append(*f.List(e), mapping.KeyRisk(c))
		}
		return nil
	case mapping.KindCount:
		return json.Unmarshal(raw, f.Count(e))
	case mapping.KindFlag:
		return json.Unmarshal(raw, f.Flag(e))
	case mapping.KindDate:
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return err
		}
		d, err := parseDate(s)
		*f.Date(e) = d
		return err
	}
	return nil
}

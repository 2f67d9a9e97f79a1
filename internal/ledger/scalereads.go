package ledger

import (
	"context"
	"database/sql"
	"fmt"
	"iter"

	"streetsync/mapping"
)

// ScaleReads are the reads that let a long comparison go through the ledger a batch at a time, in
// the order the other side arrives in (the Quanzhou platform pages in update order, not in USCC
// order), instead of holding either side whole. They read the enterprises' fields only (the
// pending flag included), not the sync bookkeeping — hashes, the platform's stored view,
// warnings and times — whose decoding costs more than the rest of the row.
type ScaleReads interface {
	// EnterpriseFieldsByUSCC returns the fields of the stored enterprises among usccs, by USCC;
	// a USCC the ledger does not hold is absent from the map.
	EnterpriseFieldsByUSCC(ctx context.Context, usccs []string) (map[string]mapping.Enterprise, error)
	// EnterpriseFields streams every enterprise's fields in USCC order.
	EnterpriseFields(ctx context.Context) iter.Seq2[mapping.Enterprise, error]
	// EnterpriseFieldsAfter returns the fields of up to limit enterprises whose USCC sorts after
	// after ("": from the first), in USCC order: one batch of a walk through the ledger in key
	// order, each batch its own short read.
	EnterpriseFieldsAfter(ctx context.Context, after string, limit int) ([]mapping.Enterprise, error)
	// OperatorsAfter returns up to limit roster entries whose key sorts after after (the zero
	// key: from the first), ordered by ID number, enterprise and item.
	OperatorsAfter(ctx context.Context, after mapping.OperatorKey, limit int) ([]OperatorRecord, error)
	// CertificateItemCodes lists the distinct item codes of the stored certificates, in order.
	CertificateItemCodes(ctx context.Context) ([]string, error)
	// CertificatesOfItems streams the stored certificates with one of these item codes, ordered
	// by number and item.
	CertificatesOfItems(ctx context.Context, itemCodes []string) iter.Seq2[mapping.Certificate, error]
}

// enterpriseFieldCols are the columns scanEnterpriseFields reads.
var enterpriseFieldCols = columnList(enterpriseFields)

func scanEnterpriseFields(rows *sql.Rows) (mapping.Enterprise, error) {
	var e mapping.Enterprise
	var fs fieldScan
	if err := rows.Scan(fs.dests(&e)...); err != nil {
		return e, err
	}
	if err := fs.load(&e); err != nil {
		return e, fmt.Errorf("enterprise %s: %w", e.USCC, err)
	}
	return e, nil
}

func (s *sqlStore) EnterpriseFieldsByUSCC(ctx context.Context, usccs []string) (map[string]mapping.Enterprise, error) {
	out := make(map[string]mapping.Enterprise, len(usccs))
	for start := 0; start < len(usccs); start += lookupChunk {
		chunk := usccs[start:min(start+lookupChunk, len(usccs))]
		q := `SELECT ` + enterpriseFieldCols + ` FROM enterprises WHERE uscc IN (` + placeholders(len(chunk), 1) + `)`
		for e, err := range stream(ctx, s, q, anyArgs(chunk), scanEnterpriseFields) {
			if err != nil {
				return nil, fmt.Errorf("ledger read enterprises: %w", err)
			}
			out[e.USCC] = e
		}
	}
	return out, nil
}

func (s *sqlStore) EnterpriseFields(ctx context.Context) iter.Seq2[mapping.Enterprise, error] {
	return stream(ctx, s, `SELECT `+enterpriseFieldCols+` FROM enterprises ORDER BY uscc`, nil, scanEnterpriseFields)
}

func (s *sqlStore) CertificateItemCodes(ctx context.Context) ([]string, error) {
	var out []string
	for code, err := range stream(ctx, s, `SELECT DISTINCT item_code FROM certificates ORDER BY item_code`, nil,
		func(rows *sql.Rows) (string, error) {
			var c string
			err := rows.Scan(&c)
			return c, err
		}) {
		if err != nil {
			return nil, fmt.Errorf("ledger read certificate items: %w", err)
		}
		out = append(out, code)
	}
	return out, nil
}

func (s *sqlStore) CertificatesOfItems(ctx context.Context, itemCodes []string) iter.Seq2[mapping.Certificate, error] {
	if len(itemCodes) == 0 {
		return func(func(mapping.Certificate, error) bool) {}
	}
	return stream(ctx, s, `SELECT `+certificateCols+` FROM certificates WHERE item_code IN (`+placeholders(len(itemCodes), 1)+`)
ORDER BY cert_no, item_code`, anyArgs(itemCodes), func(rows *sql.Rows) (mapping.Certificate, error) { return scanCertificate(rows) })
}

func (s *sqlStore) EnterpriseFieldsAfter(ctx context.Context, after string, limit int) ([]mapping.Enterprise, error) {
	out := make([]mapping.Enterprise, 0, limit)
	for e, err := range stream(ctx, s, `SELECT `+enterpriseFieldCols+` FROM enterprises WHERE uscc > ? ORDER BY uscc LIMIT ?`,
		[]any{after, limit}, scanEnterpriseFields) {
		if err != nil {
			return nil, fmt.Errorf("ledger read enterprises: %w", err)
		}
		out = append(out, e)
	}
	return out, nil
}

func (s *sqlStore) OperatorsAfter(ctx context.Context, after mapping.OperatorKey, limit int) ([]OperatorRecord, error) {
	out := make([]OperatorRecord, 0, limit)
	for o, err := range stream(ctx, s, `SELECT `+operatorCols+` FROM operators o
WHERE (o.id_number, o.enterprise_uscc, o.item_code) > (?, ?, ?)
ORDER BY o.id_number, o.enterprise_uscc, o.item_code LIMIT ?`, []any{idKey(after.IDNumber), after.EnterpriseUSCC, after.ItemCode, limit},
		func(rows *sql.Rows) (OperatorRecord, error) { return scanOperator(rows) }) {
		if err != nil {
			return nil, fmt.Errorf("ledger read roster: %w", err)
		}
		out = append(out, o)
	}
	return out, nil
}

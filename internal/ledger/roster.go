package ledger

import (
	"cmp"
	"context"
	"database/sql"
	"iter"
	"slices"
	"strings"

	"streetsync/mapping"
)

// RosterWithCertificates reads the roster and the certificates as two streams in ID-number
// order and merges them: at a city's size (half a million entries) looking certificates up by
// chunks of ID numbers reads a random page per chunk and costs several times the two ordered
// scans. Both orders are byte order, as Go compares (PostgreSQL is told so: its default
// collation may order otherwise). The enterprises' names come from one pass over the
// enterprises into a map (a city's 100 000 names are a few MB; a join would read a random page
// per entry).
//
// RegistrationDue is set where the entry has no employment registration or one whose dates no
// longer match the roster's: with the filter's OnDuty day, what RegistrationsDue yields.
func (s *sqlStore) RosterWithCertificates(ctx context.Context, f OperatorFilter) iter.Seq2[RosterEntry, error] {
	return func(yield func(RosterEntry, error) bool) {
		names, err := s.namesByUSCC(ctx)
		if err != nil {
			yield(RosterEntry{}, err)
			return
		}
		byteOrder := ""
		if s.d.name == "postgres" {
			byteOrder = ` COLLATE "C"`
		}
		where, args := operatorWhere(f)
		// The registration is joined by its key (what RegistrationsDue would read in a pass of its own).
		type entry struct {
			OperatorRecord
			due bool
		}
		// The entries are read ahead too: the walk merges and its caller judges meanwhile.
		entries := readAhead(ctx, stream(ctx, s, `SELECT `+operatorCols+`,
    CASE WHEN e.id_number IS NULL OR e.start_date <> o.start_date OR e.end_date <> o.end_date THEN 1 ELSE 0 END
FROM operators o
LEFT JOIN employments e ON e.id_number = o.id_number AND e.enterprise_uscc = o.enterprise_uscc AND e.item_code = o.item_code`+
			whereClause(where)+` ORDER BY o.id_number`+byteOrder+`, o.enterprise_uscc, o.item_code`, args,
			func(rows *sql.Rows) (entry, error) {
				var due int64
				o, err := scanOperator(rows, &due)
				return entry{o, due != 0}, err
			}), rosterBatchSize)
		// By ID number alone: the index's order, no sort (a sort of every certificate would be
		// held in memory, temp_store); one person's few certificates are ordered here.
		certQuery, certArgs := `SELECT `+certificateCols+` FROM certificates ORDER BY id_number`+byteOrder, []any(nil)
		if f.IDNumber != "" {
			certQuery = `SELECT ` + certificateCols + ` FROM certificates WHERE id_number = ? ORDER BY cert_no, item_code`
			certArgs = []any{idKey(f.IDNumber)}
		}
		certs := newCertificateMerge(ctx, stream(ctx, s, certQuery, certArgs,
			func(rows *sql.Rows) (mapping.Certificate, error) { return scanCertificate(rows) }))
		defer certs.stop()
		var held []mapping.Certificate
		heldOf := ""
		for o, err := range entries {
			if err != nil {
				yield(RosterEntry{}, err)
				return
			}
			if o.IDNumber != heldOf {
				if held, err = certs.of(o.IDNumber); err != nil {
					yield(RosterEntry{}, err)
					return
				}
				heldOf = o.IDNumber
			}
			if !yield(RosterEntry{Operator: o.OperatorRecord, Certificates: held, EnterpriseName: names[o.EnterpriseUSCC],
				RegistrationDue: o.due}, nil) {
				return
			}
		}
	}
}

// namesByUSCC maps every enterprise's USCC to its name.
func (s *sqlStore) namesByUSCC(ctx context.Context) (map[string]string, error) {
	out := map[string]string{}
	for e, err := range stream(ctx, s, `SELECT uscc, name FROM enterprises`, nil, func(rows *sql.Rows) ([2]string, error) {
		var v [2]string
		err := rows.Scan(&v[0], &v[1])
		return v, err
	}) {
		if err != nil {
			return nil, err
		}
		out[e[0]] = e[1]
	}
	return out, nil
}

// certificateMerge hands out the certificates of an ID-ordered stream to a walk that asks for
// ID numbers in the same (byte) order: a merge join, one pass over each side. The stream is read
// ahead on a goroutine of its own (readAhead).
type certificateMerge struct {
	next      func() (mapping.Certificate, error, bool)
	stop      func()
	ahead     mapping.Certificate // the next certificate, read but not yet handed out (when haveAhead)
	haveAhead bool
}

// certificateBatchSize and rosterBatchSize are how many certificates and roster entries are read
// ahead at a time.
const (
	certificateBatchSize = 1000
	rosterBatchSize      = 1000
)

func newCertificateMerge(ctx context.Context, seq iter.Seq2[mapping.Certificate, error]) *certificateMerge {
	next, stop := iter.Pull2(readAhead(ctx, seq, certificateBatchSize))
	return &certificateMerge{next: next, stop: stop}
}

// of returns the certificates of id ordered by number and item, skipping those of the ID numbers
// before it; id must not sort before the one asked for last. An error stays: asked again, of
// returns it again.
func (m *certificateMerge) of(id string) ([]mapping.Certificate, error) {
	var out []mapping.Certificate
	for {
		if !m.haveAhead {
			c, err, ok := m.next()
			if !ok {
				break
			}
			if err != nil {
				m.next = func() (mapping.Certificate, error, bool) { return mapping.Certificate{}, err, true }
				return nil, err
			}
			m.ahead, m.haveAhead = c, true
		}
		if m.ahead.IDNumber > id {
			break
		}
		if m.ahead.IDNumber == id {
			out = append(out, m.ahead)
		}
		m.haveAhead = false
	}
	slices.SortFunc(out, func(a, b mapping.Certificate) int {
		return cmp.Or(strings.Compare(a.CertNo, b.CertNo), strings.Compare(a.ItemCode, b.ItemCode))
	})
	return out, nil
}

// Package workbook loads the street's ledger workbook (企业台账.xlsx, or one sheet as CSV) into the
// ledger and writes the ledger back out in the same layout (operator-interface.md, "Ledger
// workbook"). It owns everything about the file: finding the sheets and their header rows (title
// rows, merged and two-level headers, any column order), reading cells as typed (text, numbers,
// Excel date serials), CSV encodings (UTF-8 with or without BOM, GBK/GB18030 as Excel saves it on
// Chinese Windows), and the import report with every rejected row. What a cell means — header
// variants, normalization, validation — is mapping's; where records go is the ledger's.
//
// Import rules beyond the contract:
//   - A whole-file problem (not a workbook, no known sheet, no header row with the key column, a
//     required column missing) is one *FileError and nothing is written.
//   - Fully blank rows are skipped silently.
//   - Within one file, a key (USCC; ID number + enterprise + item) seen again in a later valid row
//     rejects that later row with 与第N行重复: the first occurrence loads. A row rejected for
//     another reason does not claim its key.
//   - Merged cells count as filled: every cell of a merged range reads as its top-left value
//     (community names merged down a column, a header spread across two rows).
//   - Rejected rows go to the ledger's quarantine (source workbook); rows that load resolve their
//     key's earlier open rejection.
package workbook

import (
	"context"
	"iter"

	"streetsync/internal/ledger"
	"streetsync/internal/workbook/sheets"
	"streetsync/mapping"
)

// Importer is the part of the ledger Import writes to.
type Importer interface {
	UpsertEnterprises(ctx context.Context, batch []ledger.EnterpriseInput) ([]ledger.Outcome, error)
	CompareEnterprises(ctx context.Context, batch []ledger.EnterpriseInput) ([]ledger.Outcome, error)
	UpsertOperators(ctx context.Context, batch []ledger.OperatorInput) ([]ledger.Outcome, error)
	CompareOperators(ctx context.Context, batch []ledger.OperatorInput) ([]ledger.Outcome, error)
	AddToQuarantine(ctx context.Context, entries []ledger.QuarantineEntry) error
	ResolveQuarantineKeys(ctx context.Context, source ledger.Source, kind ledger.Kind, keys []string, resolution string) (int, error)
}

// Exporter is the part of the ledger Export reads.
type Exporter interface {
	Enterprises(ctx context.Context, f ledger.EnterpriseFilter) iter.Seq2[ledger.EnterpriseRecord, error]
	Operators(ctx context.Context, f ledger.OperatorFilter) iter.Seq2[ledger.OperatorRecord, error]
}

// Options adjust Import and Export.
type Options struct {
	// DryRun (import only) reports what would be loaded and rejected, writing nothing.
	DryRun bool
	// Catalog is the configured 特种作业目录; nil is the built-in one.
	Catalog *mapping.Catalog
	// Today bounds ID numbers' birth dates; the zero date is today in Beijing.
	Today mapping.Date
}

// Report is what an import loaded and rejected. Its JSON is the contract's
// `import --format json` document.
type Report struct {
	Enterprises ledger.Counts `json:"enterprises"`
	Operators   ledger.Counts `json:"operators"`
	Rejected    []Rejection   `json:"rejected"`

	// DryRun: nothing was written.
	DryRun bool `json:"-"`
	// Warnings counts findings kept with loaded records (e.g. a Fujian pilot-era credit code).
	Warnings int `json:"-"`
	// Ignored lists sheets that are neither of the two ledger sheets.
	Ignored []string `json:"-"`
}

// Rejection is one problem of a rejected row. A row with several bad cells has one rejection per
// cell. ID numbers in Value are masked (first 6 + last 4).
type Rejection struct {
	Sheet  string `json:"sheet"`
	Row    int    `json:"row"` // the sheet's own row number
	Column string `json:"column"`
	Value  string `json:"value"`
	Reason string `json:"reason"`
}

// FileError is a problem with the file as a whole; the import changed nothing.
type FileError = sheets.FileError

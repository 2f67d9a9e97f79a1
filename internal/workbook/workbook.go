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
//   - Each sheet is loaded in one ledger transaction (ledger.SheetImporter): an import that is
//     killed or fails part-way leaves each sheet as it was or wholly loaded, never half.
//   - Fully blank rows are skipped silently.
//   - Within one file, a key (USCC; ID number + enterprise + item) seen again in a later valid row
//     rejects that later row with 与第N行重复: the first occurrence loads. A row rejected for
//     another reason does not claim its key.
//   - A roster row's enterprise must be in the ledger or loaded by the same workbook; otherwise
//     the row is rejected, saying whether the workbook's own row for that enterprise was
//     rejected (fix it first) or the enterprise is nowhere (add it first). An enterprise the
//     ledger already holds is enough, even if the workbook's row for it was rejected: the
//     roster then refers to the ledger's record, and that row's rejection is reported anyway.
//   - A cell longer than sheets.MaxCellRunes rejects its row (内容过长): it is never loaded cut.
//   - A 所属社区 that is not one of the street's communities (Options.Communities) is a warning,
//     kept with the record and listed, naming the known ones.
//   - The sheets 隐患台账 and 演练记录 (contracts/hazards.md) are optional and load after the
//     enterprise and roster sheets, each whole in one ledger call (hazards.go); the four lists
//     of `hazards lists` are written by lists.go.
//   - Merged cells count as filled: every cell of a merged range reads as its top-left value
//     (community names merged down a column, a header spread across two rows).
//   - Rejected rows go to the ledger's quarantine (source workbook); rows that load resolve their
//     key's earlier open rejection.
//   - The report lists the problems of the first MaxListed rejected rows and the first MaxListed
//     warnings, and counts the rest by sheet, column and reason; Options.RejectedPath receives
//     every one as an .xlsx. Memory stays bounded whatever the file: keys are remembered by
//     digest (keyset.go), rows go to the ledger a batch at a time.
package workbook

import (
	"context"
	"time"

	"streetsync/internal/ledger"
	"streetsync/internal/workbook/sheets"
	"streetsync/mapping"
)

// Importer is the part of the ledger Import writes to: one transaction per sheet.
type Importer interface {
	ImportSheet(ctx context.Context, dry bool, load func(tx ledger.SheetTx) error) error
}

// Exporter is the part of the ledger Export reads: key-ordered batches (ledger.ScaleReads).
type Exporter interface {
	EnterpriseFieldsAfter(ctx context.Context, after string, limit int) ([]mapping.Enterprise, error)
	OperatorsAfter(ctx context.Context, after mapping.OperatorKey, limit int) ([]ledger.OperatorRecord, error)
}

// Options adjust Import and Export.
type Options struct {
	// DryRun (import only) reports what would be loaded and rejected, writing nothing.
	DryRun bool
	// Catalog is the configured 特种作业目录; nil is the built-in one.
	Catalog *mapping.Catalog
	// Today bounds ID numbers' birth dates; the zero date is today in Beijing.
	Today mapping.Date
	// Communities are the street's 社区 (config region.communities); a 所属社区 outside them is a
	// warning. Empty: not checked.
	Communities []string
	// RejectedPath (import only), when set, receives the full list of rejected rows and
	// warnings as an .xlsx, however long — the report lists only the first MaxListed.
	RejectedPath string
	// Clauses are the judgement clauses (hazards.clauses) the sheet 隐患台账 is read with; nil
	// is the built-in list.
	Clauses *mapping.Clauses
	// Now stamps the status changes a hazard sheet records (default: the wall clock).
	Now func() time.Time
}

// MaxListed is how many rejected rows (and how many warnings) a Report lists; the rest are
// counted. A file of 100 000 bad rows would otherwise make a report of hundreds of MiB.
const MaxListed = 1000

// Report is what an import loaded and rejected. Its JSON is the contract's
// `import --format json` document; the keys it adds appear only when they have something to
// say, so that a small import's document is exactly the contract's.
type Report struct {
	Enterprises ledger.Counts `json:"enterprises"`
	Operators   ledger.Counts `json:"operators"`
	// Hazards and Drills count the rows of 隐患台账 and 演练记录, present when the workbook has
	// the sheet.
	Hazards *ledger.Counts `json:"hazards,omitempty"`
	Drills  *ledger.Counts `json:"drills,omitempty"`
	// Rejected lists the problems of the first MaxListed rejected rows, one per bad cell.
	Rejected []Rejection `json:"rejected"`
	// RejectedOmitted counts the rejected rows left out of Rejected; when there are any,
	// RejectedCounts counts every rejected row by sheet, column and reason.
	RejectedOmitted int              `json:"rejectedOmitted,omitempty"`
	RejectedCounts  []RejectionCount `json:"rejectedCounts,omitempty"`
	// RejectedFile is where the full list was written (Options.RejectedPath).
	RejectedFile string `json:"rejectedFile,omitempty"`
	// WarningList lists the first MaxListed findings kept with loaded records (a Fujian
	// pilot-era credit code, a community not on the street's list); WarningsOmitted counts the
	// rest.
	WarningList     []Warning `json:"warnings,omitempty"`
	WarningsOmitted int       `json:"warningsOmitted,omitempty"`

	// DryRun: nothing was written.
	DryRun bool `json:"-"`
	// RejectedRows and RejectedProblems count every rejected row and problem (0: as listed).
	RejectedRows     int `json:"-"`
	RejectedProblems int `json:"-"`
	// Warnings counts every finding kept with loaded records.
	Warnings int `json:"-"`
	// Ignored lists sheets that are neither of the two ledger sheets.
	Ignored []string `json:"-"`
}

// RejectionCount counts the rejected rows of one sheet with one problem in one column.
type RejectionCount struct {
	Sheet  string `json:"sheet"`
	Column string `json:"column"`
	Reason string `json:"reason"`
	Rows   int    `json:"rows"`
}

// Warning is one finding kept with a loaded record; ID numbers in Value are masked.
type Warning struct {
	Sheet   string `json:"sheet"`
	Row     int    `json:"row"`
	Column  string `json:"column"`
	Value   string `json:"value"`
	Message string `json:"message"`
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

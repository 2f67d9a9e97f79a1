package console

import (
	"context"
	"io"
	"iter"
	"time"

	"streetsync/internal/alerts"
	"streetsync/internal/jobs"
	"streetsync/internal/ledger"
	"streetsync/mapping"
	"streetsync/scheduler"
	"streetsync/scheduler/retry"
)

// Deps are the components the console drives, each behind the few methods it needs. The wiring
// passes the real things: ledger.Store satisfies Ledger and Alarms, *retry.Queue satisfies Queue,
// *alerts.Store satisfies Alerts; JobRunner, RunHistory, Reconciler and Workbook are adapters over
// the sync jobs, the scheduler's run history, package reconcile and package workbook.
type Deps struct {
	Jobs       JobRunner
	History    RunHistory
	Reconciler Reconciler
	Queue      Queue
	Alerts     Alerts
	Alarms     Alarms
	Ledger     Ledger
	Workbook   Workbook
	// Status is optional: without it GET /api/jobs/status answers 404 and the overview leaves
	// the jobs' status, the platforms' health and a loss of Redis data out.
	Status Status
}

// Status is where the jobs and the system stand: per job what became of its latest tick (未运行,
// 延迟) and its next one, the platforms' health, and a loss of Redis data the jobs are still
// recovering from (internal/app implements it over the scheduler and the ledger).
type Status interface {
	JobStatus(ctx context.Context) ([]scheduler.JobStatus, error)
	RedisLoss(ctx context.Context) (*scheduler.RedisLoss, error)
	PlatformHealth(ctx context.Context) ([]ledger.PlatformHealth, error)
}

// JobRunner runs sync jobs now (`streetsync sync JOB [--full]`). job is one of jobs.Names or
// "all" (every job, in order); the summaries are in run order. A manual run is expected to land
// in the run history like a scheduled one.
type JobRunner interface {
	Run(ctx context.Context, job string, full bool) ([]jobs.Summary, error)
}

// RunHistory is the scheduler's record of job runs.
type RunHistory interface {
	// Runs returns up to limit runs of job ("" = every job), newest first.
	Runs(ctx context.Context, job string, limit int) ([]Run, error)
}

// Run is one job run as the scheduler's history holds it.
type Run struct {
	Job        string         `json:"job"`
	Trigger    string         `json:"trigger"` // schedule, manual, catchup
	StartedAt  time.Time      `json:"startedAt"`
	FinishedAt time.Time      `json:"finishedAt,omitzero"` // zero while running
	Outcome    string         `json:"outcome"`             // success, partial, platform_unavailable, failed, skipped, running
	Reason     string         `json:"reason,omitempty"`    // Chinese: what happened, what to do
	Error      string         `json:"error,omitempty"`
	Counts     map[string]int `json:"counts,omitempty"` // jobs.Summary.Counts
}

// Run outcomes (scheduler.Outcome); OutcomeOK is what older histories call a success.
const (
	OutcomeSuccess             = "success"
	OutcomePartial             = "partial"
	OutcomePlatformUnavailable = "platform_unavailable"
	OutcomeOK                  = "ok"
	OutcomeFailed              = "failed"
	OutcomeSkipped             = "skipped"
	OutcomeRunning             = "running"
)

// Reconciler compares the ledger with the platforms and fixes what can be fixed
// (`streetsync reconcile [--apply] [-o FILE.xlsx]`).
type Reconciler interface {
	// Reconcile compares what scope names and reports the differences.
	Reconcile(ctx context.Context, scope Scope) (*Report, error)
	// Apply makes each side agree with its owner for what scope names.
	Apply(ctx context.Context, scope Scope) (*ApplyResult, error)
	// WriteXLSX writes a report as the reconcile command's .xlsx.
	WriteXLSX(w io.Writer, r *Report) error
}

// Queue is the retry queue's operator side (`streetsync queue …`).
type Queue interface {
	Stats(ctx context.Context) (retry.Stats, error)
	List(ctx context.Context, opt retry.ListOptions) ([]retry.ItemInfo, error)
	RetryDead(ctx context.Context, ids ...string) (int, error)
	RetryAllDead(ctx context.Context, kind string) (int, error)
	Drop(ctx context.Context, ids ...string) (int, error)
}

// Alerts is the alerts' state (`streetsync alerts list|ack|silence`): paged and filtered
// listings, and the firing alerts counted by family, severity, community and rule.
type Alerts interface {
	Page(ctx context.Context, f alerts.Filter) (*alerts.Page, error)
	Counts(ctx context.Context) ([]alerts.Count, error)
	History(ctx context.Context, key string) (*alerts.Record, []alerts.Event, error)
	Ack(ctx context.Context, key, by, note string) error
	Silence(ctx context.Context, m alerts.Matcher, until time.Time, reason, by string) (alerts.Silence, error)
}

// Alarms are the stored risk-monitoring alarms and the street's handling of them
// (`streetsync alarms feedback`). Recorded feedback is pushed to the platform by the alarms job
// or its retry; a wiring that wants it pushed at once wraps RecordAlarmFeedback.
type Alarms interface {
	Alarms(ctx context.Context, f ledger.AlarmFilter) iter.Seq2[mapping.Alarm, error]
	AlarmByID(ctx context.Context, id string) (mapping.Alarm, error)
	AlarmFeedback(ctx context.Context, alarmID string) ([]ledger.FeedbackRecord, error)
	RecordAlarmFeedback(ctx context.Context, fb mapping.AlarmFeedback) (ledger.FeedbackRecord, bool, error)
}

// Ledger is what the console browses in the street's ledger.
type Ledger interface {
	Overview(ctx context.Context, day mapping.Date) (ledger.Overview, error)
	Enterprises(ctx context.Context, f ledger.EnterpriseFilter) iter.Seq2[ledger.EnterpriseRecord, error]
	Operators(ctx context.Context, f ledger.OperatorFilter) iter.Seq2[ledger.OperatorRecord, error]
	// ConfirmEnterprise clears the 待核实 flag of an enterprise pulled from the platform.
	ConfirmEnterprise(ctx context.Context, uscc string) error
}

// Workbook loads and writes the ledger workbook (`streetsync import|export`).
type Workbook interface {
	// Import loads a workbook; name is the uploaded file's name (its extension says .xlsx or
	// .csv). With dryRun nothing is written.
	Import(ctx context.Context, name string, r io.Reader, dryRun bool) (*ImportResult, error)
	// Export writes the whole ledger as an .xlsx workbook.
	Export(ctx context.Context, w io.Writer) error
	// RejectionList writes the full list of an import's rejected rows and warnings (.xlsx), by
	// the ListID of its result; an error wrapping ledger.ErrNotFound when it is unknown or was
	// dropped to make room for newer ones.
	RejectionList(ctx context.Context, id string, w io.Writer) error
}

// ImportResult is `import --format json`. Rejected lists the problems of the first 1 000 rejected
// rows, WarningList the first 1 000 warnings; the rest are counted, and the full list is a
// download. It is kept in the operator's session until shown, so it stays this small however
// large the upload.
type ImportResult struct {
	Enterprises     ledger.Counts    `json:"enterprises"`
	Operators       ledger.Counts    `json:"operators"`
	Rejected        []Rejection      `json:"rejected"`
	RejectedOmitted int              `json:"rejectedOmitted,omitempty"`
	RejectedCounts  []RejectionCount `json:"rejectedCounts,omitempty"`
	WarningList     []Warning        `json:"warnings,omitempty"`
	WarningsOmitted int              `json:"warningsOmitted,omitempty"`
	// RejectedList is the API's URL of the full list of rejected rows and warnings.
	RejectedList string `json:"rejectedList,omitempty"`
	DryRun       bool   `json:"dryRun,omitempty"`
	// ListID names the full list for Workbook.RejectionList ("" when there is none).
	ListID string `json:"-"`
	// RejectedRows counts every rejected row, Warnings every warning (0: the listed ones).
	RejectedRows int `json:"-"`
	Warnings     int `json:"-"`
}

// RejectionCount counts the rejected rows of one sheet with one problem in one column.
type RejectionCount struct {
	Sheet  string `json:"sheet"`
	Column string `json:"column"`
	Reason string `json:"reason"`
	Rows   int    `json:"rows"`
}

// Warning is a finding kept with an imported record.
type Warning struct {
	Sheet   string `json:"sheet"`
	Row     int    `json:"row"`
	Column  string `json:"column"`
	Value   string `json:"value"`
	Message string `json:"message"`
}

// Rejection is one rejected workbook row.
type Rejection struct {
	Sheet  string `json:"sheet"`
	Row    int    `json:"row"`
	Column string `json:"column"`
	Value  string `json:"value"`
	Reason string `json:"reason"`
}

// Scope says what a reconciliation covers.
type Scope struct {
	// What is enterprises, operators or all.
	What string `json:"scope"`
	// USCC narrows the reconciliation to one enterprise (and its roster); "" = all of them.
	USCC string `json:"uscc,omitempty"`
}

// Scopes of a reconciliation.
const (
	ScopeAll         = "all"
	ScopeEnterprises = "enterprises"
	ScopeOperators   = "operators"
)

// Report is `reconcile --format json`; a section is nil when the scope left it out. Name in a
// Difference is an addition for display.
type Report struct {
	Enterprises *EnterpriseReport `json:"enterprises,omitempty"`
	Operators   *OperatorReport   `json:"operators,omitempty"`
}

// EnterpriseReport compares the ledger's enterprises with the Quanzhou platform's.
type EnterpriseReport struct {
	OnlyInLedger   []EnterpriseRef      `json:"onlyInLedger"`
	OnlyOnPlatform []PlatformEnterprise `json:"onlyOnPlatform"`
	Different      []Difference         `json:"different"`
}

// EnterpriseRef names an enterprise.
type EnterpriseRef struct {
	USCC string `json:"uscc"`
	Name string `json:"name"`
}

// PlatformEnterprise is an enterprise only the platform holds.
type PlatformEnterprise struct {
	USCC string `json:"uscc"`
	Name string `json:"name"`
	QYID string `json:"qyid"`
}

// Difference lists the fields of one enterprise that differ after normalization.
type Difference struct {
	USCC   string      `json:"uscc"`
	Name   string      `json:"name,omitempty"`
	Fields []FieldDiff `json:"fields"`
}

// FieldDiff is one differing field; Field is the canonical English name.
type FieldDiff struct {
	Field    string `json:"field"`
	Ledger   string `json:"ledger"`
	Platform string `json:"platform"`
}

// OperatorReport compares the roster with the special-operations system.
type OperatorReport struct {
	Unregistered []Unregistered `json:"unregistered"`
	Uncertified  int            `json:"uncertified"`
	UnknownItems []UnknownItem  `json:"unknownItems"`
}

// Unregistered is an on-duty roster entry with a valid certificate but no employment
// registration.
type Unregistered struct {
	IDNumber   string `json:"idNumber"`
	CertNo     string `json:"certNo"`
	Enterprise string `json:"enterprise"`
}

// UnknownItem is a certificate whose item code no catalog knows.
type UnknownItem struct {
	CertNo   string `json:"certNo"`
	ItemCode string `json:"itemCode"`
}

// ApplyResult is what `reconcile --apply` did.
type ApplyResult struct {
	Pushed     int      `json:"pushed"`     // enterprises whose street-owned fields were pushed
	Pulled     int      `json:"pulled"`     // enterprises whose platform-owned fields were pulled
	Registered int      `json:"registered"` // employment registrations made
	Queued     int      `json:"queued"`     // failed transiently, waiting in the retry queue
	Problems   []string `json:"problems,omitempty"`
}

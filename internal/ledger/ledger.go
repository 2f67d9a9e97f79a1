// Package ledger is the street's own record: enterprises, the special-operator roster, the stored
// copies of certificates and alarms, the street's alarm feedback, the employment registrations as
// pushed, the hazard ledger with its status history, inspections and drills (hazards.go), the
// quarantine of rejected inputs, and the alert engine's state (alertstate.go). It is
// the one store that sync, reconcile, alerts, the workbook and the console share. It also keeps
// what the daemon must not lose with Redis: the jobs' run history and last successful runs, the
// platforms' health, and the marker by which the daemons notice that Redis lost its data
// (DaemonState, runs.go and health.go).
//
// The ledger also owns the state of the three-way comparison that enterprise sync needs. Every
// enterprise carries three hashes of its street-owned fields: StreetHash (the ledger now),
// AcceptedHash (as the platform last accepted them) and PlatformHash (as last seen on the
// platform). Ledger changed → push; only the platform changed → drift; both → conflict
// (EnterpriseRecord.SyncState).
//
// Two implementations share one schema and one set of tests: SQLite (embedded default, package
// sqlite) and PostgreSQL (package postgres). Open picks one from the configuration and runs the
// schema migrations. The SQL is written once, with ? placeholders, in this package; the
// enterprise columns follow mapping's field table (columns.go), so that a new street-owned field
// needs only its migration here.
package ledger

import (
	"context"
	"errors"
	"iter"
	"time"

	"streetsync/mapping"
)

// Store is the ledger. It is safe for concurrent use by the daemon's workers and, through the
// database, by a CLI command or another daemon instance at the same time.
//
// Methods returning iter.Seq2 stream: rows are read as the loop asks for them, so that a 500 000
// row roster never sits in memory at once. An error ends the stream as the last pair. Breaking
// out of the loop releases the query.
type Store interface {
	// Ping reports whether the database answers (readiness).
	Ping(ctx context.Context) error
	// Close releases the connections.
	Close() error

	// UpsertEnterprises writes street-owned fields (and the remark and warnings) keyed by USCC,
	// one transaction per call, and clears the 待核实 flag: the street has confirmed the record —
	// unless the input says PendingReview (a workbook row marked 待核实), which keeps the stored
	// flag as it is and stores a new enterprise flagged. Platform-owned fields and the sync state
	// are left alone. An empty RegionCode keeps the stored one. Outcomes are in input order; a USCC repeated in one batch is written in order,
	// the last one winning.
	UpsertEnterprises(ctx context.Context, batch []EnterpriseInput) ([]Outcome, error)
	// CompareEnterprises reports what UpsertEnterprises would do with batch, writing nothing
	// (import --dry-run).
	CompareEnterprises(ctx context.Context, batch []EnterpriseInput) ([]Outcome, error)
	// EnterpriseByUSCC returns one enterprise, or an error wrapping ErrNotFound.
	EnterpriseByUSCC(ctx context.Context, uscc string) (EnterpriseRecord, error)
	// Enterprises streams enterprises in USCC order.
	Enterprises(ctx context.Context, f EnterpriseFilter) iter.Seq2[EnterpriseRecord, error]
	// ConfirmEnterprise clears the 待核实 flag of an enterprise pulled from the platform.
	ConfirmEnterprise(ctx context.Context, uscc string) error
	// RecordPlatformEnterprises stores what the platform holds (enterprise pull): the
	// platform-owned fields and the platform's view of the street-owned fields. An enterprise
	// the ledger does not know is added flagged 待核实, with the platform's values as accepted.
	// When both sides have come to agree, the agreement is recorded as accepted. The result says,
	// per record, what changed in the ledger and where the record stands.
	RecordPlatformEnterprises(ctx context.Context, batch []mapping.Enterprise, seenAt time.Time) ([]Comparison, error)
	// SetPlatformFields writes only the platform-owned fields (PlatformID, Grade,
	// GradeValidUntil, RiskMonitored, UpdatedAt) of known enterprises; unknown USCCs are
	// OutcomeNotFound.
	SetPlatformFields(ctx context.Context, batch []mapping.Enterprise) ([]Outcome, error)
	// MarkEnterprisesAccepted records that the platform accepted pushed street-owned values: they
	// become both the accepted version and the platform's view.
	MarkEnterprisesAccepted(ctx context.Context, batch []Acceptance) ([]Outcome, error)

	// UpsertOperators writes roster entries keyed by (ID number, enterprise, item).
	UpsertOperators(ctx context.Context, batch []OperatorInput) ([]Outcome, error)
	// CompareOperators reports what UpsertOperators would do, writing nothing.
	CompareOperators(ctx context.Context, batch []OperatorInput) ([]Outcome, error)
	// OperatorByKey returns one roster entry, or an error wrapping ErrNotFound.
	OperatorByKey(ctx context.Context, key mapping.OperatorKey) (OperatorRecord, error)
	// Operators streams roster entries ordered by ID number, enterprise and item.
	Operators(ctx context.Context, f OperatorFilter) iter.Seq2[OperatorRecord, error]
	// RosterWithCertificates streams roster entries in ID-number order, each with every stored
	// certificate of its ID number (what the alert rules evaluate), its enterprise's name and
	// whether its registration is due, merging the roster with the certificates as two ordered
	// scans (roster.go).
	RosterWithCertificates(ctx context.Context, f OperatorFilter) iter.Seq2[RosterEntry, error]

	// UpsertCertificates writes certificates keyed by (certificate number, item).
	UpsertCertificates(ctx context.Context, batch []mapping.Certificate) ([]Outcome, error)
	// CertificatesByIDNumbers returns the stored certificates of the given holders, by ID number.
	CertificatesByIDNumbers(ctx context.Context, idNumbers []string) (map[string][]mapping.Certificate, error)
	// Certificates streams every stored certificate ordered by number and item.
	Certificates(ctx context.Context) iter.Seq2[mapping.Certificate, error]
	// RecordCertificateAnswers notes that the special-operations system answered a query for
	// these ID numbers at the given time (found or notFound alike).
	RecordCertificateAnswers(ctx context.Context, idNumbers []string, at time.Time) error
	// IDNumbersDueForCertificateQuery streams the distinct ID numbers of the roster (on duty on
	// onDuty; the zero date: every entry) whose last answer is older than answeredBefore or that
	// were never asked about, never-asked first, then oldest answer first.
	IDNumbersDueForCertificateQuery(ctx context.Context, answeredBefore time.Time, onDuty mapping.Date) iter.Seq2[string, error]
	// OnRoster reports which of the ID numbers are on the roster (true; absent: not on it), by
	// the ID numbers as passed.
	OnRoster(ctx context.Context, idNumbers []string) (map[string]bool, error)

	// RecordEmployments stores employment registrations as the special-operations system
	// accepted them, one per roster entry.
	RecordEmployments(ctx context.Context, batch []EmploymentRecord) error
	// EmploymentByKey returns the registration of a roster entry, or an error wrapping
	// ErrNotFound.
	EmploymentByKey(ctx context.Context, key mapping.OperatorKey) (EmploymentRecord, error)
	// RegistrationsDue streams roster entries whose registration is missing (entries on duty on
	// day) or differs from the roster's start or end date (any entry ever registered), with
	// their last registration.
	RegistrationsDue(ctx context.Context, day mapping.Date) iter.Seq2[RegistrationDue, error]
	// RegistrationsDueSince is RegistrationsDue among the entries whose decision may have
	// changed since a run at since, on sinceDay: entries changed since then (new ones
	// included), entries starting after sinceDay, and entries of people whose certificates
	// changed since then or become valid after sinceDay. It reads those entries, not the
	// whole roster — unless so much changed that reading the whole roster costs less, which
	// yields more entries, never fewer. Writers' clocks may differ: pass a since with a margin.
	RegistrationsDueSince(ctx context.Context, day mapping.Date, since time.Time, sinceDay mapping.Date) iter.Seq2[RegistrationDue, error]

	// UpsertAlarms writes alarms keyed by alarm id.
	UpsertAlarms(ctx context.Context, batch []mapping.Alarm) ([]Outcome, error)
	// AlarmByID returns one alarm, or an error wrapping ErrNotFound.
	AlarmByID(ctx context.Context, id string) (mapping.Alarm, error)
	// Alarms streams alarms ordered by the time raised (then id).
	Alarms(ctx context.Context, f AlarmFilter) iter.Seq2[mapping.Alarm, error]
	// RecordAlarmFeedback stores the street's handling of an alarm, pending its push. The same
	// feedback recorded twice is one record: the second call returns it with created false.
	RecordAlarmFeedback(ctx context.Context, fb mapping.AlarmFeedback) (rec FeedbackRecord, created bool, err error)
	// PendingAlarmFeedback returns up to limit feedback records not yet accepted or rejected,
	// oldest first.
	PendingAlarmFeedback(ctx context.Context, limit int) ([]FeedbackRecord, error)
	// AlarmFeedback returns every feedback recorded for an alarm, oldest first.
	AlarmFeedback(ctx context.Context, alarmID string) ([]FeedbackRecord, error)
	// MarkFeedbackAccepted records that the platform accepted the feedback.
	MarkFeedbackAccepted(ctx context.Context, id int64, at time.Time) error
	// MarkFeedbackRejected records that the platform refused the feedback for good, and why.
	MarkFeedbackRejected(ctx context.Context, id int64, message string, at time.Time) error

	// AddToQuarantine stores rejected inputs. An open entry with the same source, kind and key
	// is updated (reasons, raw, last seen, one more occurrence) instead of duplicated.
	AddToQuarantine(ctx context.Context, entries []QuarantineEntry) error
	// QuarantineEntries streams quarantine entries, newest first.
	QuarantineEntries(ctx context.Context, f QuarantineFilter) iter.Seq2[QuarantineEntry, error]
	// ResolveQuarantine closes one open entry with a note, or returns an error wrapping
	// ErrNotFound.
	ResolveQuarantine(ctx context.Context, id int64, resolution string) error
	// ResolveQuarantineKeys closes the open entries of (source, kind, key) for the given keys,
	// if any, and reports how many it closed: a record that loads fine later resolves its old
	// rejection.
	ResolveQuarantineKeys(ctx context.Context, source Source, kind Kind, keys []string, resolution string) (int, error)

	// Overview counts what the console's front page shows; day decides who is on duty (the
	// zero date: today in Beijing).
	Overview(ctx context.Context, day mapping.Date) (Overview, error)

	DaemonState   // runs.go: run history, platform health, the Redis marker
	AlertState    // the alert engine's state (alertstate.go)
	SheetImporter // bulk.go: a workbook sheet in one transaction
	HazardStore   // hazards.go: hazards with their status history, inspections, drills
	Listings      // listings.go: the console's paged lists and to-do counts
	ScaleReads    // scalereads.go: keyed and ordered reads that keep reconcile and export bounded
}

// ErrNotFound is wrapped by lookups of a key the ledger does not hold.
var ErrNotFound = errors.New("not in the ledger")

// Outcome says what an upsert did with one record.
type Outcome int8

const (
	// OutcomeUnchanged: the record was already stored with the same content.
	OutcomeUnchanged Outcome = iota
	// OutcomeInserted: the key was new.
	OutcomeInserted
	// OutcomeUpdated: the key was known and its content changed.
	OutcomeUpdated
	// OutcomeNotFound: an update-only call named a key the ledger does not hold.
	OutcomeNotFound
)

func (o Outcome) String() string {
	switch o {
	case OutcomeInserted:
		return "inserted"
	case OutcomeUpdated:
		return "updated"
	case OutcomeNotFound:
		return "notFound"
	}
	return "unchanged"
}

// Counts tallies outcomes; its JSON is the contract's {"inserted", "updated", "unchanged"}.
type Counts struct {
	Inserted  int `json:"inserted"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
}

// Add counts one outcome (OutcomeNotFound is not counted).
func (c *Counts) Add(o Outcome) {
	switch o {
	case OutcomeInserted:
		c.Inserted++
	case OutcomeUpdated:
		c.Updated++
	case OutcomeUnchanged:
		c.Unchanged++
	}
}

// Tally counts a batch's outcomes.
func Tally(outs []Outcome) Counts {
	var c Counts
	for _, o := range outs {
		c.Add(o)
	}
	return c
}

// EnterpriseInput is an enterprise from the street (workbook, console) with the validation
// warnings kept with it. Its PendingReview (核实状态 待核实 in the workbook) asks the upsert not
// to confirm the enterprise.
type EnterpriseInput struct {
	mapping.Enterprise
	Warnings mapping.Problems
}

// EnterpriseRecord is an enterprise as the ledger holds it. Its PendingReview is the 待核实 flag:
// pulled from the platform, not yet confirmed by the street.
type EnterpriseRecord struct {
	mapping.Enterprise
	Warnings mapping.Problems
	// StreetHash is the hash of the street-owned fields as the ledger holds them now.
	StreetHash string
	// AcceptedHash is StreetHash as the platform last accepted it; "" when never accepted.
	AcceptedHash string
	AcceptedAt   time.Time
	// Platform holds the platform's street-owned values as last seen (by a pull or an accepted
	// push); nil when never seen. Its platform-owned fields are not filled.
	Platform *mapping.Enterprise
	// PlatformHash is the hash of Platform's street-owned fields; "" when never seen.
	PlatformHash string
	// PlatformViewAt is when the platform's current view was first recorded.
	PlatformViewAt time.Time
	CreatedAt      time.Time
	ModifiedAt     time.Time
}

// SyncState is where an enterprise stands between the ledger and the platform.
type SyncState int8

const (
	// StateInSync: ledger, accepted version and platform agree.
	StateInSync SyncState = iota
	// StateUnpushed: the platform never accepted a version (a new enterprise, or the first
	// sync): the ledger, source of truth for street-owned fields, is pushed.
	StateUnpushed
	// StateLedgerChanged: only the ledger changed since the accepted version: push.
	StateLedgerChanged
	// StatePlatformChanged: only the platform changed (someone edited the portal): drift, left
	// for an operator's reconcile --apply.
	StatePlatformChanged
	// StateConflict: both changed, differently: never pushed automatically.
	StateConflict
)

func (s SyncState) String() string {
	switch s {
	case StateUnpushed:
		return "unpushed"
	case StateLedgerChanged:
		return "ledgerChanged"
	case StatePlatformChanged:
		return "platformChanged"
	case StateConflict:
		return "conflict"
	}
	return "inSync"
}

// NeedsPush reports whether sync pushes the ledger's values.
func (s SyncState) NeedsPush() bool { return s == StateUnpushed || s == StateLedgerChanged }

// Drifted reports whether the platform's street-owned values moved away from the accepted
// version (contract: sync's "drifted" — left for an operator).
func (s SyncState) Drifted() bool { return s == StatePlatformChanged || s == StateConflict }

// SyncState compares the three versions of the street-owned fields.
func (r *EnterpriseRecord) SyncState() SyncState {
	return syncState(r.StreetHash, r.AcceptedHash, r.PlatformHash)
}

func syncState(street, accepted, platform string) SyncState {
	if accepted == "" {
		if platform != "" && platform == street {
			return StateInSync
		}
		return StateUnpushed
	}
	ledgerChanged := street != accepted
	platformChanged := platform != "" && platform != accepted
	switch {
	case ledgerChanged && platformChanged:
		if street == platform {
			return StateInSync
		}
		return StateConflict
	case ledgerChanged:
		return StateLedgerChanged
	case platformChanged:
		return StatePlatformChanged
	}
	return StateInSync
}

// Comparison is what RecordPlatformEnterprises did with one platform record and where the record
// stands afterwards.
type Comparison struct {
	Outcome Outcome // OutcomeInserted: added as 待核实
	State   SyncState
}

// Acceptance is the platform's acceptance of one pushed enterprise.
type Acceptance struct {
	// Pushed holds the street-owned values as sent (its hash becomes the accepted version).
	Pushed mapping.Enterprise
	// PlatformID is the qyid the platform answered; "" keeps the stored one.
	PlatformID string
	At         time.Time
}

// EnterpriseFilter selects enterprises; the zero filter selects all.
type EnterpriseFilter struct {
	// ChangedSinceAccepted keeps enterprises whose street-owned fields differ from the version
	// the platform last accepted (never accepted included): the candidates for a push. Ask each
	// its SyncState: a conflict is among them and is not pushed.
	ChangedSinceAccepted bool
	// PendingReview keeps only enterprises flagged 待核实.
	PendingReview bool
	// Community keeps one community's enterprises.
	Community string
}

// OperatorInput is a roster entry from the street with the warnings kept with it.
type OperatorInput struct {
	mapping.Operator
	Warnings mapping.Problems
}

// OperatorRecord is a roster entry as the ledger holds it.
type OperatorRecord struct {
	mapping.Operator
	Warnings   mapping.Problems
	CreatedAt  time.Time
	ModifiedAt time.Time
}

// OperatorFilter selects roster entries; the zero filter selects all.
type OperatorFilter struct {
	// OnDuty keeps entries on duty that day: started on or before it (or no start date) and
	// 离岗日期 empty or after it.
	OnDuty         mapping.Date
	EnterpriseUSCC string
	IDNumber       string
}

// RosterEntry is a roster entry with every stored certificate of its ID number, the name of its
// enterprise ("" when the ledger does not hold it), and whether its employment registration is
// missing or no longer matches the roster's dates.
type RosterEntry struct {
	Operator        OperatorRecord
	Certificates    []mapping.Certificate
	EnterpriseName  string
	RegistrationDue bool
}

// EmploymentRecord is a registration as pushed for one roster entry.
type EmploymentRecord struct {
	Key        mapping.OperatorKey
	CertNo     string       // the certificate registered
	StartDate  mapping.Date // as sent
	EndDate    mapping.Date // as sent; zero: open-ended
	Status     string       // ACTIVE or ENDED, as the system answered
	AcceptedAt time.Time
}

// RegistrationDue is a roster entry whose registration must be made or changed.
type RegistrationDue struct {
	Operator OperatorRecord
	// Last is the registration as last pushed; nil when there is none.
	Last *EmploymentRecord
}

// AlarmFilter selects alarms; the zero filter selects all.
type AlarmFilter struct {
	From, To    time.Time // raised in [From, To); zero: unbounded
	USCC        string
	Community   string // alarms of the community's enterprises
	ActiveOnly  bool   // not recovered
	Unhandled   bool   // handling status not 已处置
	NewestFirst bool
	Limit       int // 0: no limit
}

// PushState is where a piece of the street's feedback stands with the platform.
type PushState string

const (
	PushPending  PushState = "pending"
	PushAccepted PushState = "accepted"
	PushRejected PushState = "rejected"
)

// FeedbackRecord is the street's handling of an alarm and the state of its push.
type FeedbackRecord struct {
	ID int64
	mapping.AlarmFeedback
	State      PushState
	Message    string // the platform's reason for a rejection
	RecordedAt time.Time
	PushedAt   time.Time
}

// Source is where a quarantined input came from.
type Source string

const (
	SourceWorkbook   Source = "workbook"
	SourceQuanzhou   Source = "quanzhou"
	SourceSpecialOps Source = "specialops"
	SourceSyncPush   Source = "sync-push"
)

// Kind is what sort of record a quarantined input is.
type Kind string

const (
	KindEnterprise    Kind = "enterprise"
	KindOperator      Kind = "operator"
	KindCertificate   Kind = "certificate"
	KindEmployment    Kind = "employment"
	KindAlarm         Kind = "alarm"
	KindAlarmFeedback Kind = "alarmFeedback"
	KindHazard        Kind = "hazard"
	KindHazardStatus  Kind = "hazardStatus"
	KindInspection    Kind = "inspection"
	KindDrill         Kind = "drill"
)

// QuarantineEntry is one rejected input.
type QuarantineEntry struct {
	ID     int64
	Source Source
	Kind   Kind
	// Key is the record's key as far as it could be read (USCC, roster key, certificate number,
	// alarm id) or its position (企业台账!12) when it has none.
	Key     string
	Reasons mapping.Problems
	// Raw is the input as given. The ledger keeps ID numbers whole; HasIDNumber marks entries
	// that carry one, so that they are masked before leaving the ledger. The caller may set it
	// (a malformed ID number is still one); the store also sets it when it finds a valid ID
	// number in the key, the reasons or Raw.
	Raw         string
	HasIDNumber bool
	Occurrences int
	FirstSeenAt time.Time
	LastSeenAt  time.Time
	ResolvedAt  time.Time // zero while open
	Resolution  string
}

// QuarantineFilter selects quarantine entries; the zero filter selects the open ones.
type QuarantineFilter struct {
	Source          Source
	Kind            Kind
	Key             string
	IncludeResolved bool
	Limit           int // 0: no limit
}

// Overview holds the counts of the console's front page.
type Overview struct {
	Enterprises          int `json:"enterprises"`
	PendingReview        int `json:"pendingReview"`
	AwaitingPush         int `json:"awaitingPush"`
	Drifted              int `json:"drifted"`
	Conflicts            int `json:"conflicts"`
	Operators            int `json:"operators"`
	OnDuty               int `json:"onDuty"`
	Certificates         int `json:"certificates"`
	ActiveAlarms         int `json:"activeAlarms"`
	UnhandledAlarms      int `json:"unhandledAlarms"`
	FeedbackPending      int `json:"feedbackPending"`
	FeedbackRejected     int `json:"feedbackRejected"`
	QuarantineOpen       int `json:"quarantineOpen"`
	RegistrationsMissing int `json:"registrationsMissing"`
}

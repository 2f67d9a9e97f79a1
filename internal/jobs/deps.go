package jobs

import (
	"context"
	"iter"
	"time"

	"streetsync/connectors/quanzhou"
	"streetsync/connectors/specialops"
	"streetsync/mapping"
	"streetsync/scheduler/retry"
)

// What the jobs need from the world, each declared here by its consumer (*quanzhou.Client,
// *specialops.Client, *retry.Queue and scheduler's cursors satisfy them), so that tests could
// substitute any of them. The package's own tests use the real ones against the mocks.

// Quanzhou is what the jobs use of the Quanzhou platform's client.
type Quanzhou interface {
	// Enterprises lists enterprise records from the mark on (zero: all), none missed.
	Enterprises(ctx context.Context, from quanzhou.Mark) (iter.Seq2[quanzhou.PulledEnterprise, error], *quanzhou.Progress)
	// GetEnterprise reads one record (ErrNotFound: the platform does not know it).
	GetEnterprise(ctx context.Context, uscc string) (mapping.QZEnterprise, error)
	// SaveEnterprises pushes street-owned fields (batchSave), one result per record.
	SaveEnterprises(ctx context.Context, records []mapping.Enterprise) ([]quanzhou.SaveResult, error)
	// Alarms lists risk-monitoring alarms from the mark on (zero: all).
	Alarms(ctx context.Context, from quanzhou.Mark) (iter.Seq2[quanzhou.PulledAlarm, error], *quanzhou.Progress)
	// Feedback sends the street's handling of an alarm; duplicate: the platform had it already.
	Feedback(ctx context.Context, f mapping.AlarmFeedback) (duplicate bool, err error)
	HazardPlatform // hazards.go
}

// SpecialOps is what the jobs use of the special-operations system's client.
type SpecialOps interface {
	// Certificates queries holders by ID number (the client chunks by 50).
	Certificates(ctx context.Context, idNumbers []string) ([]specialops.PulledCertificate, []string, error)
	// CertificateChanges follows the province-wide change feed from cursor, or from since.
	CertificateChanges(ctx context.Context, since time.Time, cursor string) (iter.Seq2[specialops.PulledCertificate, error], *specialops.FeedPosition)
	// RegisterEmployment PUTs a registration (also to end one) and returns it as stored.
	RegisterEmployment(ctx context.Context, e mapping.Employment) (mapping.Employment, mapping.Problems, bool, error)
}

// Queue is where records that failed transiently wait (scheduler/retry). Items hold only the
// record's key: a retry always sends the record's current state from the ledger.
type Queue interface {
	EnqueueBatch(ctx context.Context, reqs []retry.Request) ([]string, error)
}

// Cursors keeps the jobs' watermarks (the listing's gxsj, the change feed's position) between
// runs. A watermark is written only after the ledger has committed everything it covers.
type Cursors interface {
	// Get returns the stored value, "" when there is none.
	Get(ctx context.Context, name string) (string, error)
	// Set stores the value.
	Set(ctx context.Context, name, value string) error
}

// Observer receives each job run's record counts by outcome (*metrics.Metrics satisfies it).
type Observer interface {
	Records(job, outcome string, n int)
}

// Clock is the time the jobs decide by: today's date for certificate validity and duty, the
// acceptance and answer times, the start of the change feed.
type Clock interface {
	Now() time.Time
}

// Progress shows a long run's advance on the CLI's stderr (NewProgress: a line redrawn on a
// terminal, a line every 10 s in a cron log); the daemon passes none. Advance is called from
// several goroutines.
type Progress interface {
	// Begin starts a phase of a job ("enterprises", "push"); total is the number of records
	// expected, 0 when unknown.
	Begin(job, phase string, total int)
	// Advance counts pages (requests) made and records handled since the last call.
	Advance(pages, records int)
	// Total sets the records expected once they are known (a listing's first page), 0: unknown.
	Total(records int)
	// End closes the phase.
	End()
}

type nopObserver struct{}

func (nopObserver) Records(string, string, int) {}

type nopProgress struct{}

func (nopProgress) Begin(string, string, int) {}
func (nopProgress) Advance(int, int)          {}
func (nopProgress) Total(int)                 {}
func (nopProgress) End()                      {}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

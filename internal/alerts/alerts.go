// Package alerts runs the alerts of the operator contract (特种作业人员持证预警), of unhandled
// high-severity risk alarms, of the hazards contract (open, overdue and due major hazards, the
// missing quarterly principal-led check, the overdue evacuation drill; hazards.go), and the system
// alerts that say when the others cannot be trusted (DATA_STALE, PLATFORM_DOWN). It is in three
// parts:
//
//   - what fires is package rules: pure functions of one subject on one day;
//   - the state — firing or resolved, each alert's history, acknowledgements, silences, the last
//     delivery per alert and channel — lives in the ledger (ledger.AlertState); this package
//     decides every transition (state.go, transitions.go) and the ledger keeps them, so that a loss
//     of Redis loses no decision and delivers nothing twice;
//   - delivery (deliver.go) sends what is due, one message per community per channel, claimed in a
//     ledger transaction so that two daemons checking at once deliver once, and hands transient
//     failures to the retry queue.
//
// A check (check.go) judges only data fresh enough: a family of rules whose sync job has not
// succeeded within alerts.maxDataAge is skipped — nothing of it is delivered or resolved — and a
// DATA_STALE alert says so. It works in bounded batches: the roster is streamed, states are read
// and written a batch at a time, the firing alerts are handed to an Output as they are recorded,
// and deliveries are read back from the ledger one community at a time. Reading and judging the
// roster, and writing the firing alerts out, run on goroutines of their own beside the one that
// records (a server has two cores), handing over bounded chunks in the roster's order.
//
// Everything this package needs from elsewhere is a small interface declared here (sources.go);
// the wiring adapts the real things to them. How a message is said on each channel is package
// notify's business.
package alerts

import (
	"time"

	"streetsync/internal/alerts/notify"
	"streetsync/internal/alerts/rules"
)

// Alert is one alert as every output shows it (the webhook's alert object).
type Alert = notify.Alert

// Rules lists every rule's code, in listing order.
var Rules = rules.Codes()

// RuleName is a rule's Chinese name.
func RuleName(code string) string { return rules.Name(code) }

// IDHash stands for an ID number where a silence or a search matches a person.
func IDHash(idNumber string) string { return rules.IDHash(idNumber) }

// Clock tells the time; tests inject a fake one.
type Clock interface {
	Now() time.Time
}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

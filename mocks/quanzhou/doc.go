// Package quanzhou is a stateful mock of the Quanzhou platform's open API
// (contracts/quanzhou-platform.md): signed requests checked in the contract's order, tokens that
// expire and get revoked, a token-bucket rate limit, envelope codes with HTTP 200, enterprises with
// a live-evaluated pageNo listing, batchSave with per-item results, risk-monitoring alarms and
// their feedback — quirks included, plus the faults of fault.Faults.
//
// One Platform serves both the integration tests (as an http.Handler behind httptest or the
// `streetsync mock serve` listener) and the connectors' unit tests (Responder, for httpmock), so
// the two can never disagree about the platform. It must not import streetsync/connectors: the
// mock and the client must not share a mistake.
package quanzhou

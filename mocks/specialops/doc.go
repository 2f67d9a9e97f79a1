// Package specialops is a stateful mock of the provincial special-operations system's data-sharing
// API (contracts/special-ops.md): OAuth2 client credentials (form body or HTTP Basic), bearer
// tokens that expire and get revoked, a token-bucket rate limit whose 429 carries Retry-After in
// seconds or as an HTTP-date, certificate queries by ID number, the province-wide change feed
// with stable cursors that expire after 24 hours, and employment registration with the
// contract's error order — plus the faults of fault.Faults.
//
// Like mocks/quanzhou it serves both integration tests (http.Handler) and the connectors' unit
// tests (Responder, for httpmock), and must not import streetsync/connectors.
package specialops

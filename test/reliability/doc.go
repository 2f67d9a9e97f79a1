// Package reliability holds streetsync's end-to-end reliability and security suite: tests that
// drive the built `streetsync` binary — as an operator or systemd would — against the in-process
// mock platforms, a real redis-server and a real ledger, and check what the mission promises of
// the whole system rather than of one package:
//
//   - under every platform fault the mocks can inject, alone and all together, and across a
//     Redis restart that loses every key (no persistence), nothing is lost, nothing is created
//     twice, nothing that could succeed ends in the dead letters, exactly the permanently bad
//     records sit in quarantine, with a reason, and reconcile is clean right after the queue is
//     drained (faults_test.go);
//   - a SIGKILL at a random point of `sync all`, or a Redis restart mid-run, changes none of that
//     (crash_test.go); a `sync enterprises` killed mid-push is followed at once by one that runs,
//     taking over the dead process's lock, while a lock held on another host is waited for and
//     named in the refusal (locks_test.go);
//   - three `streetsync run` daemons on one Redis and one PostgreSQL run each tick once, each
//     retry item once and deliver each alert once (instances_test.go);
//   - hostile input — oversized or malformed console requests, a platform answering megabytes of
//     garbage or never finishing, a workbook that inflates a thousandfold — is refused or timed
//     out, never fatal (hostile_test.go); a workbook with one 700 MiB cell, a CSV of 100 000
//     invalid rows and the zip bomb are read in bounded memory by the CLI and the daemon, and a
//     SIGKILL inside an import leaves each sheet as it was or wholly loaded (workbook_test.go);
//   - no secret, token or full ID number reaches a log line, an output or a webhook payload; the
//     console refuses missing and wrong tokens; TLS is verified unless a CA file is configured
//     (security_test.go).
//
// The mocks run in the test process (httptest servers), so their state — what was created, how
// often, which requests failed — survives the binary's restarts and crashes and can be inspected
// afterwards. The binary is built once, without -race, in TestMain.
//
// The default variants are short enough for CI (the package runs in about two minutes under
// -race on two cores). STREETSYNC_LONG=1 runs the long variants: a street five times larger,
// twelve crash seeds, a 90-second day. STREETSYNC_BIN names a prebuilt
// binary instead of building one.
//
// Scale is measured by the command in test/scale, not here.
package reliability

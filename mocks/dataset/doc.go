// Package dataset is the deterministic data generator behind the mock platforms: a seed and a
// size give the same 灵源街道 every time — the street's ledger (enterprises and the roster of
// special operators, and the 企业台账.xlsx workbook holding them), the Quanzhou platform's copy of
// the enterprises (most of them, with portal edits), the provincial system's certificates (every
// situation the alert rules name, plus province-wide noise), employment registrations,
// risk-monitoring alarms, and the hazard loop of contracts/hazards.md (hazards.go): the street's
// hazard ledger and drills (sheets 隐患台账 and 演练记录, with WithHazardSheets), the platform's
// hazards — the street's pushed copies and the enterprises' own reports — and its principal-led
// inspections. The hazard records come from a random stream of their own, so that they changed
// nothing the generator gave before.
//
// It owns its own check-digit code (mocks/internal/gbcode) and its own wire-free record types;
// it imports nothing of streetsync outside mocks.
package dataset

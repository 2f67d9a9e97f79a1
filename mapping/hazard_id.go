package mapping

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// StreetIDFor makes the street's id (lybh) of a hazard recorded without one (a workbook row
// whose 隐患编号 is empty, `hazards report`): JD, the finding day, and 8 hex digits of the
// hazard's enterprise, finding day, description and location. It is derived, not drawn, so that
// the same row imported twice is the same hazard, not a second one; export writes it back.
func StreetIDFor(h *Hazard) string {
	sum := sha256.Sum256([]byte(strings.Join([]string{h.USCC, h.FoundOn.String(), h.Description, h.Location}, "\x1f")))
	day := strings.ReplaceAll(h.FoundOn.String(), "-", "")
	if day == "" {
		day = "00000000"
	}
	return "JD" + day + "-" + hex.EncodeToString(sum[:4])
}

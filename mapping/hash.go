package mapping

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"
)

// Content hashes for change detection: a record is pushed or stored again only when its hash
// changes. Each hash covers the canonical (normalized) form in a fixed field order, so two
// spellings of one record hash alike; bookkeeping fields (gxsj, updatedAt) are left out because
// they change without the content changing. The encoding starts with a version tag: changing
// what a hash covers must change the tag, so that stored hashes are recomputed, not trusted.

const hashVersion = "streetsync/v1"

// hasher writes name=value fields separated by bytes that normalized text never contains.
type hasher struct{ b []byte }

func newHasher(kind string) *hasher {
	h := &hasher{b: make([]byte, 0, 512)}
	h.b = append(h.b, hashVersion...)
	h.b = append(h.b, 0x1d)
	h.b = append(h.b, kind...)
	return h
}

func (h *hasher) field(name, value string) {
	h.b = append(h.b, 0x1e)
	h.b = append(h.b, name...)
	h.b = append(h.b, 0x1f)
	h.b = append(h.b, value...)
}

func (h *hasher) time(name string, t time.Time) {
	if t.IsZero() {
		h.field(name, "")
		return
	}
	h.field(name, strconv.FormatInt(t.UnixNano(), 10))
}

func (h *hasher) sum() string {
	s := sha256.Sum256(h.b)
	return hex.EncodeToString(s[:])
}

// StreetHash covers the key and the street-owned fields EnterpriseTable marks Hashed, the ones
// the street pushes: a changed StreetHash means a push is due. The region code (set from the
// config) and the remark (never pushed) are not covered.
func (e *Enterprise) StreetHash() string { return e.ownedHash(OwnerStreet) }

// PlatformHash covers the key, the platform id and the platform-owned fields EnterpriseTable
// marks Hashed: a changed PlatformHash means the ledger's copy needs updating.
func (e *Enterprise) PlatformHash() string { return e.ownedHash(OwnerPlatform) }

func (e *Enterprise) ownedHash(o Owner) string {
	n := *e
	NormalizeEnterprise(&n)
	h := newHasher("enterprise." + o.String())
	h.field("uscc", n.USCC)
	hashFields(h, EnterpriseTable, &n, func(f *Field[Enterprise]) bool { return f.Owner == o })
	return h.sum()
}

// hashFields writes the Hashed fields of r that pick selects, in the table's order.
func hashFields[R any](h *hasher, table []*Field[R], r *R, pick func(*Field[R]) bool) {
	for _, f := range table {
		if !f.Hashed || !pick(f) || !f.hashEmpty && f.IsEmpty(r) {
			continue
		}
		h.field(f.Name, f.Get(r))
	}
}

// ContentHash covers every field of the roster entry, normalized against the built-in catalog.
// Use ContentHashWith when the config extends the catalog.
func (o *Operator) ContentHash() string { return o.ContentHashWith(nil) }

// ContentHashWith is ContentHash with the catalog item names resolve against.
func (o *Operator) ContentHashWith(cat *Catalog) string {
	n := *o
	NormalizeOperator(&n, cat)
	h := newHasher("operator")
	hashFields(h, OperatorTable, &n, func(*Field[Operator]) bool { return true })
	return h.sum()
}

// ContentHash covers every field of the certificate except updatedAt, normalized against the
// built-in catalog (which only fills in missing names).
func (c *Certificate) ContentHash() string {
	n := *c
	NormalizeCertificate(&n, nil)
	h := newHasher("certificate")
	h.field("certNo", n.CertNo)
	h.field("holderName", n.HolderName)
	h.field("idNumber", n.IDNumber)
	h.field("gender", n.Gender)
	h.field("categoryCode", n.CategoryCode)
	h.field("categoryName", n.CategoryName)
	h.field("itemCode", n.ItemCode)
	h.field("itemName", n.ItemName)
	h.field("firstIssueDate", n.FirstIssueDate.String())
	h.field("validFrom", n.ValidFrom.String())
	h.field("validUntil", n.ValidUntil.String())
	h.field("reviewDueDate", n.ReviewDueDate.String())
	h.field("lastReviewDate", n.LastReviewDate.String())
	h.field("status", string(n.Status))
	h.field("issuer", n.Issuer)
	return h.sum()
}

// ContentHash covers every field of the alarm except updatedAt (times as instants, whatever
// their zone).
func (a *Alarm) ContentHash() string {
	n := *a
	NormalizeAlarm(&n)
	h := newHasher("alarm")
	h.field("id", n.ID)
	h.field("platformId", n.PlatformID)
	h.field("uscc", n.USCC)
	h.field("enterpriseName", n.EnterpriseName)
	h.field("pointCode", n.PointCode)
	h.field("pointName", n.PointName)
	h.field("quantity", n.Quantity)
	h.field("unit", n.Unit)
	h.field("value", n.Value)
	h.field("threshold", n.Threshold)
	h.field("type", n.Type)
	h.field("level", strconv.Itoa(n.Level))
	h.time("raisedAt", n.RaisedAt)
	h.time("recoveredAt", n.RecoveredAt)
	h.field("handlingStatus", n.HandlingStatus)
	h.field("handlingNote", n.HandlingNote)
	h.field("handler", n.Handler)
	h.time("handledAt", n.HandledAt)
	return h.sum()
}

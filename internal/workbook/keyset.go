package workbook

import "hash/maphash"

// What an import remembers about every key it has seen — to reject a repeated key, to know
// whether a roster row's enterprise is loaded, to resolve a key's earlier rejection — it
// remembers by a 128-bit digest of the key rather than the key itself: a city's workbook holds
// 625 000 keys, whose strings would cost about 150 MiB and whose digests cost 20. Two different
// keys share a digest with a probability of about n²/2¹²⁹ (10⁻²⁷ for a city), which is none.

// keyDigest is a key's digest: two independent 64-bit seeded hashes.
type keyDigest [2]uint64

// digester hashes keys with seeds of its own (random per import).
type digester struct{ a, b maphash.Seed }

func newDigester() digester { return digester{maphash.MakeSeed(), maphash.MakeSeed()} }

func (d digester) of(key string) keyDigest {
	return keyDigest{maphash.String(d.a, key), maphash.String(d.b, key)}
}

// origin is where a key was met in the file: the table's index in the file and the row.
type origin struct {
	table int32
	row   int32
}

// enterpriseSeen is what the import knows of one enterprise USCC.
type enterpriseSeen struct {
	loaded   origin // the row that loaded it (row 0: none)
	rejected origin // the first row of it that was rejected (row 0: none)
	ledger   int8   // whether the ledger holds it: 0 not asked yet, 1 yes, -1 no
}

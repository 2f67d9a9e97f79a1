package quanzhou

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"slices"
	"strings"
)

// emptySHA256 is BODY_SHA256 of a request without a body (the contract's example).
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// stringToSign is the contract's six lines joined by \n: METHOD, PATH (full path as sent, without
// query), CANONICAL_QUERY, TIMESTAMP, NONCE, BODY_SHA256.
func stringToSign(method, path, canonQuery, timestamp, nonce, bodySHA256 string) string {
	return strings.Join([]string{strings.ToUpper(method), path, canonQuery, timestamp, nonce, bodySHA256}, "\n")
}

// sign is lowercase hex of HMAC-SHA256(key = appSecret, message = stringToSign).
func sign(secret, stringToSign string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(stringToSign))
	return hex.EncodeToString(m.Sum(nil))
}

// canonicalQuery sorts the parameters by name, then value, escapes both as url.QueryEscape does
// and joins name=value pairs with &; "" when there are none.
func canonicalQuery(q url.Values) string {
	if len(q) == 0 {
		return ""
	}
	names := make([]string, 0, len(q))
	for k := range q {
		names = append(names, k)
	}
	slices.Sort(names)
	var b strings.Builder
	for _, k := range names {
		vs := slices.Clone(q[k])
		slices.Sort(vs)
		for _, v := range vs {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(url.QueryEscape(k))
			b.WriteByte('=')
			b.WriteString(url.QueryEscape(v))
		}
	}
	return b.String()
}

// newNonce returns 26 random characters of [A-Z2-7] (crypto/rand, 130 bits): inside the
// contract's 16–32 [A-Za-z0-9], and never reused in practice.
func newNonce() string { return rand.Text() }

package alerts

import "streetsync/internal/redisconn"

// The {alerts} key family, owned by this file and scripts.go alone. Every key carries the same
// hash tag, so that one Lua script may change an alert's state, its history and the indexes
// together on Redis Cluster too (they land in one slot; alert state is small — thousands of
// alerts, not millions).
//
//	{alerts}:s:<key>    HASH   one alert's state (fields below), <key> the public key
//	{alerts}:h:<key>    LIST   its history, newest first, capped at historyCap events (JSON)
//	{alerts}:open       SET    public keys firing, or resolved with a resolution still to deliver
//	{alerts}:all        ZSET   every stored alert, scored by its last change: fired, changed or
//	                           resolved (ms); a member whose state expired is dropped lazily
//	{alerts}:silences   HASH   silence id → silence (JSON)
//	{alerts}:lock       STRING the check run's lock: the owner's token, with a TTL
type keys struct{ conn *redisconn.Conn }

const tag = "{alerts}"

func (k keys) state(pub string) string   { return k.conn.Key(tag, "s", pub) }
func (k keys) history(pub string) string { return k.conn.Key(tag, "h", pub) }
func (k keys) open() string              { return k.conn.Key(tag, "open") }
func (k keys) all() string               { return k.conn.Key(tag, "all") }
func (k keys) silences() string          { return k.conn.Key(tag, "silences") }
func (k keys) lock() string              { return k.conn.Key(tag, "lock") }

// Fields of an alert's state hash.
const (
	fStatus     = "status"     // firing | resolved
	fEpisode    = "ep"         // firing episodes so far: +1 each time it starts firing
	fVersion    = "ver"        // changes of its fingerprint within the episode, from 1
	fFP         = "fp"         // fingerprint of its material state
	fSince      = "since"      // start of the episode (ms)
	fSeen       = "seen"       // last evaluation that found it firing (ms)
	fResolvedAt = "resolvedAt" // ms
	fEscAt      = "escAt"      // when the episode escalated (ms)
	fPub        = "pub"        // its public key
	fAlert      = "alert"      // the alert object (JSON, masked) of the last evaluation
	fAlertHash  = "ah"         // hash of fAlert: unchanged alerts are not sent again
	fCommunity  = "comm"
	fRule       = "rule"
	fSeverity   = "sev"
	fIDHash     = "idh"
	fAckRev     = "ackRev" // "<episode>:<version>" acknowledged; other versions are not
	fAckBy      = "ackBy"
	fAckNote    = "ackNote"
	fAckAt      = "ackAt"
	fChanPrefix = "ch:" // ch:<channel> → delivery stamp (JSON) of that channel
)

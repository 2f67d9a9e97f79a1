package console

// What the external tests (package console_test, which build the console through internal/app)
// compare pages against.
const (
	MsgBadToken      = msgBadToken
	MsgCSRF          = msgCSRF
	MsgTooManyLogins = msgTooManyLogins
	FlashRetried     = flashRetried
	FlashFeedback    = flashFeedback
)

// Package httpx is what the two platform connectors (connectors/quanzhou and
// connectors/specialops) share about talking HTTP to a government platform, so that both
// classify, wait and retry the same way:
//
//   - the error vocabulary: *APIError with its Kind, the sentinels for errors.Is, and the two
//     methods the retry queue asks for (Temporary, RetryAfter);
//   - the in-call retry decision (Retrier): one re-authentication, one fresh-nonce repeat, at most
//     three attempts with jitter for transient failures, never a long blocked goroutine;
//   - Retry-After in both of its forms, bounded response bodies and lists no longer than asked
//     for (BoundedList), TLS with an optional extra CA;
//   - the client-side rate limiter (with its wait counter) and the access-token cache shared by
//     concurrent callers;
//   - the Observer hook through which the wiring feeds metrics, without a Prometheus import here.
//
// It knows nothing of either platform's endpoints or envelopes: those are classified in the
// connector packages, once, at the edge.
package httpx

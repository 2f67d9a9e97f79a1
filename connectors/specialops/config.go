package specialops

import (
	"fmt"
	"time"
)

// Config is what a client needs to reach the platform (internal/app fills it from the
// configuration's specialOps section).
type Config struct {
	BaseURL      string
	ClientID     string
	ClientSecret string        // never printed (String hides it)
	RateLimit    float64       // requests per second (0: unlimited)
	Burst        int           // requests allowed at once above the rate
	Timeout      time.Duration // per request (0: 30s)
	CAFile       string        // an extra CA certificate (PEM) for the platform's TLS
}

// String prints the configuration with the secret hidden, whatever verb formats it.
func (c Config) String() string {
	s := c
	if s.ClientSecret != "" {
		s.ClientSecret = "<secret>"
	}
	type plain Config // no String method: no recursion
	return fmt.Sprintf("%+v", plain(s))
}

// GoString is String, so that %#v hides the secret too.
func (c Config) GoString() string { return c.String() }

// Package mocks mounts the two mock platforms — the Quanzhou platform (mocks/quanzhou) and the
// provincial special-operations system (mocks/specialops) — under one mux, seeded by the data
// generator (mocks/dataset), so that streetsync can be run, demonstrated and tested end to end
// without the real platforms. `streetsync mock serve` is Serve; tests use NewServer.
//
// Nothing here imports streetsync/connectors: the mocks and the clients must not share a mistake.
package mocks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"time"

	"streetsync/mocks/dataset"
	"streetsync/mocks/fault"
	"streetsync/mocks/quanzhou"
	"streetsync/mocks/specialops"
)

// Where the platforms are mounted. The Quanzhou path carries a gateway prefix on purpose:
// signatures cover the full path as sent.
const (
	QuanzhouPath   = "/qz/gw/openapi/v1"
	SpecialOpsPath = "/tz/share"
)

// Options configure a Server. The zero value serves 200 generated enterprises on the wall clock.
type Options struct {
	// Seed seeds the generator and both platforms' random sources.
	Seed int64
	// Enterprises is the number of generated ledger enterprises (default 200).
	Enterprises int
	// Faults are both platforms' initial faults (platform-specific knobs are ignored by the other).
	Faults fault.Faults
	// Now is the platforms' clock (default time.Now); the dataset's reference day is Now's date.
	Now func() time.Time
	// Dataset, when set, is loaded instead of generating one.
	Dataset *dataset.Dataset
	// Unlimited switches both rate limits off (benchmarks).
	Unlimited bool
	// DiscardPushes stops the Quanzhou mock from keeping every pushed payload (large benchmarks).
	DiscardPushes bool
}

// Endpoints are the base URLs and demo credentials of a running Server. It marshals to the shape
// `streetsync mock serve --format json` prints (contracts/operator-interface.md).
type Endpoints struct {
	QuanzhouBaseURL   string
	AppKey            string
	AppSecret         string
	SpecialOpsBaseURL string
	ClientID          string
	ClientSecret      string
	// Region is the region code the app key is bound to (not printed).
	Region string
}

type endpointsJSON struct {
	Quanzhou struct {
		BaseURL   string `json:"baseURL"`
		AppKey    string `json:"appKey"`
		AppSecret string `json:"appSecret"`
	} `json:"quanzhou"`
	SpecialOps struct {
		BaseURL      string `json:"baseURL"`
		ClientID     string `json:"clientID"`
		ClientSecret string `json:"clientSecret"`
	} `json:"specialOps"`
}

// MarshalJSON writes {"quanzhou": {"baseURL","appKey","appSecret"}, "specialOps": {"baseURL","clientID","clientSecret"}}.
func (e Endpoints) MarshalJSON() ([]byte, error) {
	var j endpointsJSON
	j.Quanzhou.BaseURL, j.Quanzhou.AppKey, j.Quanzhou.AppSecret = e.QuanzhouBaseURL, e.AppKey, e.AppSecret
	j.SpecialOps.BaseURL, j.SpecialOps.ClientID, j.SpecialOps.ClientSecret = e.SpecialOpsBaseURL, e.ClientID, e.ClientSecret
	return json.Marshal(j)
}

// UnmarshalJSON reads what MarshalJSON writes.
func (e *Endpoints) UnmarshalJSON(b []byte) error {
	var j endpointsJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*e = Endpoints{QuanzhouBaseURL: j.Quanzhou.BaseURL, AppKey: j.Quanzhou.AppKey, AppSecret: j.Quanzhou.AppSecret,
		SpecialOpsBaseURL: j.SpecialOps.BaseURL, ClientID: j.SpecialOps.ClientID, ClientSecret: j.SpecialOps.ClientSecret}
	return nil
}

// Server is both platforms under one mux, with the dataset they were seeded from.
type Server struct {
	Quanzhou   *quanzhou.Platform
	SpecialOps *specialops.Platform
	Dataset    *dataset.Dataset
	mux        *http.ServeMux
}

// NewServer generates (or takes) a dataset and seeds both platforms with it.
func NewServer(opts Options) (*Server, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	ds := opts.Dataset
	if ds == nil {
		var err error
		ds, err = dataset.Generate(dataset.Params{Seed: opts.Seed, Enterprises: opts.Enterprises, Reference: dataset.DayOf(opts.Now())})
		if err != nil {
			return nil, fmt.Errorf("mocks: generate dataset: %w", err)
		}
	}
	rate := 0.0
	if opts.Unlimited {
		rate = -1
	}
	qz, err := quanzhou.New(quanzhou.Config{BasePath: QuanzhouPath, Now: opts.Now, Seed: opts.Seed, Faults: opts.Faults,
		RatePerSecond: rate, DiscardPushes: opts.DiscardPushes})
	if err != nil {
		return nil, err
	}
	tz, err := specialops.New(specialops.Config{BasePath: SpecialOpsPath, Now: opts.Now, Seed: opts.Seed, Faults: opts.Faults,
		RatePerSecond: rate})
	if err != nil {
		return nil, err
	}
	qz.LoadDataset(ds)
	tz.LoadDataset(ds)
	mux := http.NewServeMux()
	mux.Handle(QuanzhouPath+"/", qz)
	mux.Handle(SpecialOpsPath+"/", tz)
	return &Server{Quanzhou: qz, SpecialOps: tz, Dataset: ds, mux: mux}, nil
}

// Handler serves both platforms.
func (s *Server) Handler() http.Handler { return s.mux }

// Endpoints returns the base URLs under root (e.g. "http://127.0.0.1:9090") and demo credentials.
func (s *Server) Endpoints(root string) Endpoints {
	return Endpoints{
		QuanzhouBaseURL: root + QuanzhouPath, AppKey: quanzhou.DemoAppKey, AppSecret: quanzhou.DemoAppSecret,
		SpecialOpsBaseURL: root + SpecialOpsPath, ClientID: specialops.DemoClientID, ClientSecret: specialops.DemoClientSecret,
		Region: dataset.Region,
	}
}

// SetFaults sets both platforms' faults.
func (s *Server) SetFaults(f fault.Faults) {
	s.Quanzhou.SetFaults(f)
	s.SpecialOps.SetFaults(f)
}

// Close releases requests held by the Hang fault.
func (s *Server) Close() {
	s.Quanzhou.Close()
	s.SpecialOps.Close()
}

// StartTest serves on an httptest server; the caller closes it (ts.Close after s.Close).
func (s *Server) StartTest() (*httptest.Server, Endpoints) {
	ts := httptest.NewServer(s.mux)
	return ts, s.Endpoints(ts.URL)
}

// Start serves on l until ctx ends, then shuts down (waiting up to 5 s for requests in flight).
func (s *Server) Start(ctx context.Context, l net.Listener, ready func(Endpoints)) error {
	srv := &http.Server{Handler: s.mux, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	if ready != nil {
		ready(s.Endpoints("http://" + reachable(l.Addr())))
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.Close()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := srv.Shutdown(sctx)
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}

// reachable turns a wildcard listen address into one a client on this machine can dial.
func reachable(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return a.String()
	}
	return net.JoinHostPort("127.0.0.1", fmt.Sprint(tcp.Port))
}

// Serve is `streetsync mock serve`: it builds a Server from opts, listens on addr (e.g.
// "127.0.0.1:9090"; port 0 picks one), calls ready with the endpoints once listening, and serves
// until ctx ends.
func Serve(ctx context.Context, addr string, opts Options, ready func(Endpoints)) error {
	s, err := NewServer(opts)
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("mocks: listen %s: %w", addr, err)
	}
	return s.Start(ctx, l, ready)
}

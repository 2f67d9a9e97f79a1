package app

import (
	"context"

	"streetsync/scheduler/retry"
)

// Workers returns one retry worker per job kind the queue holds items of: the sync jobs' pushes
// and pulls, and alert deliveries. Each paces itself with its platform client's rate limiter.
func (a *App) Workers(ctx context.Context) ([]retry.Worker, error) {
	return nil, nil // TODO(wiring): jobs handlers and alert redelivery
}

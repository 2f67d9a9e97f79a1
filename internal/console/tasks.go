package console

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"go.uber.org/zap"
)

// Long operations (a sync job, a reconciliation, applying its fixes) run as tasks owned by the
// Server, not by the request that started them: a browser that navigates away or an API client
// that gives up does not cancel a half-done sync. A form post waits a few seconds for the task and
// then shows its progress; the API waits for the result. One task per key runs at a time; a
// second start with the same parameters joins the running one. Close cancels and waits for them.

type task struct {
	key, params, label string
	started            time.Time
	done               chan struct{}

	// Set before done is closed.
	finished time.Time
	result   any
	err      error
}

// finishedYet reports whether the task is over.
func (t *task) finishedYet() bool {
	select {
	case <-t.done:
		return true
	default:
		return false
	}
}

// wait waits for the task up to d (or until ctx ends) and reports whether it finished.
func (t *task) wait(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		select {
		case <-t.done:
			return true
		case <-ctx.Done():
			return false
		}
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-t.done:
		return true
	case <-tm.C:
		return false
	case <-ctx.Done():
		return false
	}
}

type taskRunner struct {
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	now    func() time.Time
	log    *zap.Logger

	mu      sync.Mutex
	running map[string]*task
	last    map[string]*task // the last finished task per key
}

func newTaskRunner(now func() time.Time, log *zap.Logger) *taskRunner {
	ctx, cancel := context.WithCancel(context.Background())
	return &taskRunner{ctx: ctx, cancel: cancel, now: now, log: log,
		running: map[string]*task{}, last: map[string]*task{}}
}

// start runs fn as the task key. It returns the running task of that key when its parameters
// are the same (joined), or errTaskBusy when they differ.
func (tr *taskRunner) start(key, params, label string, fn func(ctx context.Context) (any, error)) (t *task, joined bool, err error) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if tr.ctx.Err() != nil {
		return nil, false, context.Canceled
	}
	if cur, ok := tr.running[key]; ok {
		if cur.params == params {
			return cur, true, nil
		}
		return cur, false, errTaskBusy
	}
	t = &task{key: key, params: params, label: label, started: tr.now(), done: make(chan struct{})}
	tr.running[key] = t
	tr.wg.Add(1)
	go func() {
		defer tr.wg.Done()
		res, err := fn(tr.ctx)
		tr.mu.Lock()
		t.result, t.err, t.finished = res, err, tr.now()
		delete(tr.running, key)
		tr.last[key] = t
		tr.mu.Unlock()
		close(t.done)
		if err != nil {
			tr.log.Warn("console task failed", zap.String("task", key), zap.Error(err))
		} else {
			tr.log.Info("console task finished", zap.String("task", key), zap.Duration("took", t.finished.Sub(t.started)))
		}
	}()
	return t, false, nil
}

// current returns the running task of key, or else the last finished one (nil when none).
func (tr *taskRunner) current(key string) *task {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if t, ok := tr.running[key]; ok {
		return t
	}
	return tr.last[key]
}

// runningTasks lists the tasks under way.
func (tr *taskRunner) runningTasks() []*task {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	out := make([]*task, 0, len(tr.running))
	for _, t := range tr.running {
		out = append(out, t)
	}
	return out
}

// close cancels the running tasks and waits for them to return.
func (tr *taskRunner) close() {
	tr.mu.Lock()
	tr.cancel()
	tr.mu.Unlock()
	tr.wg.Wait()
}

// taskView shows a console task: running (the page refreshes) or finished.
type taskView struct {
	Label    string
	Started  time.Time
	Finished time.Time
	Running  bool
	Error    string
}

func (s *Server) taskView(r *http.Request, t *task) *taskView {
	if t == nil {
		return nil
	}
	tv := &taskView{Label: t.label, Started: t.started, Running: !t.finishedYet()}
	if !tv.Running {
		tv.Finished = t.finished
		if t.err != nil {
			_, tv.Error = s.classify(r, t.err)
		}
	}
	return tv
}

// waitForm waits briefly for a task a form started and says how it went.
func (s *Server) waitForm(r *http.Request, t *task) (string, error) {
	if !t.wait(r.Context(), s.opt.FormWait) {
		return fmt.Sprintf(flashTaskStarted, t.label), nil
	}
	if t.err != nil {
		_, msg := s.classify(r, t.err)
		return "", &InputError{Reason: fmt.Sprintf(flashTaskFailed, t.label, msg)}
	}
	return fmt.Sprintf(flashTaskDone, t.label), nil
}

package console

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net"
	"streetsync/mapping/mask"
	"sync"
	"syscall"

	"go.uber.org/zap"
)

// Degraded, not broken. Before a page reads anything it pings Redis and the ledger (at most
// Options.HealthTimeout, both at once). A service that does not answer is named in a red banner
// at the top of every page — what is down, what still works, what to do — and each panel that
// needs it says so in place instead of failing the page: every page answers 200. The next page
// asks again, so the banner goes as soon as the service is back, without a restart.
//
// Redis holds the retry queue, the job locks and the tick markers: with it down, 重试队列 and
// 立即运行 wait, everything in the ledger (台账, 对账, 持证预警, 监测报警, the run history) works.
// The ledger holds everything else.

// service is what a panel reads from.
type service int

const (
	needsRedis service = iota
	needsLedger
)

// health is what a page found when it asked its services.
type health struct {
	redis, ledger error // nil: it answered (or there is nothing to ask)
}

// checkHealth pings the services.
func (s *Server) checkHealth(ctx context.Context) health {
	ctx, cancel := context.WithTimeout(ctx, s.opt.HealthTimeout)
	defer cancel()
	var h health
	var wg sync.WaitGroup
	if s.deps.Redis != nil {
		wg.Go(func() { h.redis = s.deps.Redis.Ping(ctx) })
	}
	wg.Go(func() { h.ledger = s.deps.Ledger.Ping(ctx) })
	wg.Wait()
	s.logHealth(h)
	return h
}

// logHealth logs an outage when it starts and when it ends, not on every page.
func (s *Server) logHealth(h health) {
	s.healthMu.Lock()
	defer s.healthMu.Unlock()
	for _, c := range []struct {
		name string
		err  error
		was  *bool
	}{{"redis", h.redis, &s.healthDown[needsRedis]}, {"ledger", h.ledger, &s.healthDown[needsLedger]}} {
		switch down := c.err != nil; {
		case down && !*c.was:
			s.log.Warn("console: a service does not answer; the pages say so", zap.String("service", c.name),
				zap.String("error", mask.IDsInText(c.err.Error())))
		case !down && *c.was:
			s.log.Info("console: the service answers again", zap.String("service", c.name))
		}
		*c.was = c.err != nil
	}
}

// down is the in-place text of a panel that needs svc, when svc is down ("" when it answers).
func (h health) down(svc service) string {
	switch {
	case svc == needsRedis && h.redis != nil:
		return msgPanelRedisDown
	case svc == needsLedger && h.ledger != nil:
		return msgPanelLedgerDown
	}
	return ""
}

// banners are the red lines at the top of the page, one per service down.
func (h health) banners() []banner {
	var out []banner
	if h.redis != nil {
		out = append(out, banner{ID: "banner-redis", Text: fmt.Sprintf(msgRedisDown, outageText(h.redis))})
	}
	if h.ledger != nil {
		out = append(out, banner{ID: "banner-ledger", Text: fmt.Sprintf(msgLedgerDown, outageText(h.ledger))})
	}
	return out
}

// healthJSON is the services' state in the API's answers: "ok", or what is wrong in Chinese.
func (h health) healthJSON() map[string]string {
	out := map[string]string{"redis": "ok", "ledger": "ok"}
	if h.redis != nil {
		out["redis"] = "不可用：" + outageText(h.redis)
	}
	if h.ledger != nil {
		out["ledger"] = "不可用：" + outageText(h.ledger)
	}
	return out
}

// banner is one line of the page's top banner.
type banner struct {
	ID   string
	Text string
}

// outageText says in Chinese why a service does not answer, from the error's kind only: the
// error's own text may carry a DSN, and is for the log.
func outageText(err error) string {
	var op *net.OpError
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, syscall.ETIMEDOUT):
		return "没有应答（超时）"
	case errors.Is(err, syscall.ECONNREFUSED):
		if errors.As(err, &op) && op.Addr != nil {
			return fmt.Sprintf("无法连接 %s（连接被拒绝，服务可能已停止）", op.Addr)
		}
		return "无法连接（连接被拒绝，服务可能已停止）"
	case errors.As(err, &op):
		if op.Addr != nil {
			return fmt.Sprintf("无法连接 %s", op.Addr)
		}
		return "无法连接"
	case errors.Is(err, io.EOF), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "连接被中断"
	case errors.Is(err, sql.ErrConnDone), databaseClosed(err):
		return "数据库连接已关闭"
	}
	return "无法访问（详情见日志）"
}

// databaseClosed recognizes database/sql's "sql: database is closed", which has no sentinel.
func databaseClosed(err error) bool {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if e.Error() == "sql: database is closed" {
			return true
		}
	}
	return false
}

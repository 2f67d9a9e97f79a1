// Package deps pins modules that later packages import, so that parallel work never races on go.mod. Removed once every module is imported for real.
package deps

import (
	_ "github.com/alicebob/miniredis/v2"
	_ "github.com/chromedp/chromedp"
	_ "github.com/go-resty/resty/v2"
	_ "github.com/jackc/pgx/v5"
	_ "github.com/jarcoal/httpmock"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/redis/go-redis/v9"
	_ "github.com/robfig/cron/v3"
	_ "github.com/spf13/cobra"
	_ "github.com/xuri/excelize/v2"
	_ "go.uber.org/goleak"
	_ "go.uber.org/zap"
	_ "golang.org/x/term"
	_ "golang.org/x/text/width"
	_ "golang.org/x/time/rate"
	_ "gopkg.in/yaml.v3"
	_ "modernc.org/sqlite"
)

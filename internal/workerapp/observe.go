package workerapp

import (
	"net/http"

	"go.uber.org/zap"

	"github.com/csptransfer/csptransfer/internal/msrest"
)

// observeCalls tells the metrics about every Partner Center and Graph call and logs each throttled one
// once: a 429 is retried quietly, and without the log nobody would see the partner's budget running out.
// The endpoint is the path template, so no tenant id or other identifier reaches the log.
func observeCalls(log *zap.Logger, metrics func(msrest.Call)) func(msrest.Call) {
	return func(c msrest.Call) {
		if metrics != nil {
			metrics(c)
		}
		if c.Status == http.StatusTooManyRequests {
			log.Warn("throttled by Microsoft", zap.String("service", string(c.Service)), zap.String("method", c.Method),
				zap.String("endpoint", c.Path), zap.Duration("retryAfter", c.RetryAfter))
		}
	}
}

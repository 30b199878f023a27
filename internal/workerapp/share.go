package workerapp

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"github.com/csptransfer/csptransfer"
	"github.com/csptransfer/csptransfer/internal/throttle"
)

// pollerFresh is how recently a worker must have polled to count: an idle worker long-polls for about a
// minute between calls, and one that stopped still counts for this long (the safe side).
const pollerFresh = 2 * time.Minute

// RateShare is the number of workers this one shares the partner tenants' rate limits with, itself
// included, as it last counted them (0 before Run built its clients).
func (m *Main) RateShare() int {
	if l := m.limiters.Load(); l != nil && len(*l) > 0 {
		return (*l)[0].Share()
	}
	return 0
}

// share divides the partner tenants' limits among the workers polling the task queue (throttle.Share),
// or returns nil when CSP_RATE_SHARE is off.
func (m *Main) share(c client.Client, limiters []*throttle.Transport) *throttle.Share {
	if m.Config.ShareEvery <= 0 || len(limiters) == 0 {
		return nil
	}
	warned := false
	return &throttle.Share{
		Count:      func(ctx context.Context) (int, error) { return countWorkers(ctx, c, time.Now()) },
		Every:      m.Config.ShareEvery,
		Transports: limiters,
		OnError: func(err error) {
			if !warned {
				warned = true
				m.Log.Warn("could not count the workers to share the partner tenants' rate limits; this worker keeps its last share",
					zap.Error(err))
			}
		},
		OnChange: func(n int) {
			m.Log.Info("sharing the partner tenants' rate limits", zap.Int("workers", n))
		},
	}
}

// countWorkers is how many workers (by identity) polled the transfer activity task queue recently. It asks
// in the enhanced mode, which gathers the pollers of every partition of the task queue: the legacy mode
// reports the root partition's only, where an idle worker may not poll for minutes.
func countWorkers(ctx context.Context, c client.Client, now time.Time) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	desc, err := c.DescribeTaskQueueEnhanced(ctx, client.DescribeTaskQueueEnhancedOptions{
		TaskQueue: csptransfer.TaskQueue, TaskQueueTypes: []client.TaskQueueType{client.TaskQueueTypeActivity}, ReportPollers: true,
	})
	if err != nil {
		return 0, fmt.Errorf("describe task queue %s: %w", csptransfer.TaskQueue, err)
	}
	seen := map[string]bool{}
	//lint:ignore SA1019 the per-version poller lists are where SDK v1.50 reports every partition's pollers; VersioningInfo, its replacement, carries none
	for _, v := range desc.VersionsInfo {
		for _, p := range v.TypesInfo[client.TaskQueueTypeActivity].Pollers {
			if now.Sub(p.LastAccessTime) <= pollerFresh && !deadHere(p.Identity) {
				seen[p.Identity] = true
			}
		}
	}
	return len(seen), nil
}

// deadHere says identity is a worker of this host (pid@host@instance) whose process is gone: a worker that
// crashed and was restarted here does not wait for Temporal to forget its former self.
func deadHere(identity string) bool {
	pid, rest, ok := strings.Cut(identity, "@")
	host, _, _ := strings.Cut(rest, "@")
	me, _ := os.Hostname()
	n, err := strconv.Atoi(pid)
	if !ok || err != nil || host != me || n <= 0 || n == os.Getpid() {
		return false
	}
	p, err := os.FindProcess(n)
	if err != nil {
		return true
	}
	// Signal 0 only asks whether the process exists; EPERM means it does, as another user's.
	err = p.Signal(syscall.Signal(0))
	return err != nil && !errors.Is(err, syscall.EPERM)
}

// workerIdentity is the SDK's default identity (pid@host) with an instance id, unique per worker.
func workerIdentity() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%d@%s@%s", os.Getpid(), host, uuid.NewString()[:8])
}

package trigger

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/csptransfer/csptransfer"
)

// EnsureSchedule creates the reconciliation schedule, or brings an existing one to the given interval
// and action, so every start of the service (and every replica) converges on the same single schedule.
// It reports whether the schedule was created.
func EnsureSchedule(ctx context.Context, c client.Client, every time.Duration) (bool, error) {
	if every <= 0 {
		return false, errors.New("reconcile schedule: interval must be positive")
	}
	spec := client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: every}}}
	action := &client.ScheduleWorkflowAction{
		ID:        csptransfer.ReconcileWorkflowID,
		Workflow:  csptransfer.ReconcileWorkflowType,
		Args:      []any{csptransfer.ReconcileInput{}},
		TaskQueue: csptransfer.TaskQueue,
		// A run checks at most a thousand transfers a minute each; one that hangs must not block the next.
		WorkflowExecutionTimeout: every,
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	_, err := c.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID:      csptransfer.ReconcileScheduleID,
		Spec:    spec,
		Action:  action,
		Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_SKIP,
		Note:    "Created by the csptransfer trigger service: catches acceptances whose webhook was lost",
	})
	switch {
	case err == nil:
		return true, nil
	case !errors.Is(err, temporal.ErrScheduleAlreadyRunning):
		return false, fmt.Errorf("create schedule %s: %w", csptransfer.ReconcileScheduleID, err)
	}
	h := c.ScheduleClient().GetHandle(ctx, csptransfer.ReconcileScheduleID)
	err = h.Update(ctx, client.ScheduleUpdateOptions{
		DoUpdate: func(in client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
			s := in.Description.Schedule
			s.Spec = &spec
			s.Action = action
			if s.Policy == nil {
				s.Policy = &client.SchedulePolicies{}
			}
			s.Policy.Overlap = enumspb.SCHEDULE_OVERLAP_POLICY_SKIP
			return &client.ScheduleUpdate{Schedule: &s}, nil
		},
	})
	if err != nil {
		return false, fmt.Errorf("update schedule %s: %w", csptransfer.ReconcileScheduleID, err)
	}
	return false, nil
}

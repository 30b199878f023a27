// Package activities holds the activities of the transfer workflows: one method per activity on the
// Activities struct, which the worker builds once with the Partner Center, Graph and notifier clients of
// every partner tenant; Reconciler does the same for the reconciliation, which also talks to Temporal.
//
// Every activity is safe to retry: calls that change something at
// Microsoft carry the MS-RequestId the workflow derived for the step (csptransfer.RequestID), and a
// retried purchase finds what the first attempt bought. Failures are classified at this boundary:
// business rejections are non-retryable application errors with the types declared in types.go
// (RegionMismatch, OfferUnavailable, ...), throttling is retried after Microsoft's Retry-After, anything
// else is retried on the activity's schedule. Every activity heartbeats while it runs (see
// NewLivenessInterceptor), so one stuck on a crashed worker is retried elsewhere within HeartbeatTimeout.
package activities

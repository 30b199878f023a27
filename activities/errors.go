package activities

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/csptransfer/csptransfer/internal/identity"
	"github.com/csptransfer/csptransfer/internal/msrest"
)

// maxRetryAfter bounds how long one retry waits on Microsoft's Retry-After: the longest backoff the
// workflows use between attempts anyway.
const maxRetryAfter = 10 * time.Minute

// classify turns a Partner Center or Graph error into what Temporal should do with it: business
// rejections become non-retryable application errors with a named type; throttling is retried after the
// service's Retry-After; transient failures are retried on the activity's schedule.
func classify(what string, err error) error {
	if errors.Is(err, identity.ErrAppUserAccessLost) {
		// Retried on the activity's schedule, so the transfer goes on by itself once an operator has set
		// a new refresh token; the named type says in the UI what is wrong meanwhile.
		return temporal.NewApplicationErrorWithOptions(fmt.Sprintf("%s: %v", what, err), ErrTypeAppUserAccessLost, temporal.ApplicationErrorOptions{Cause: err})
	}
	e, ok := msrest.AsError(err)
	if !ok {
		// Transport, token or decoding trouble: worth another attempt.
		return fmt.Errorf("%s: %w", what, err)
	}
	msg := fmt.Sprintf("%s: %v", what, err)
	wait := e.RetryAfter
	if wait > maxRetryAfter {
		// A bad or hostile Retry-After must not park a transfer for days; the limiter and the next
		// answer decide the pace from here.
		msg += fmt.Sprintf(" (Retry-After %s capped at %s)", wait, maxRetryAfter)
		wait = maxRetryAfter
	}
	if e.StatusCode == http.StatusTooManyRequests {
		return temporal.NewApplicationErrorWithOptions(msg, ErrTypeThrottled, temporal.ApplicationErrorOptions{
			NextRetryDelay: wait, Category: temporal.ApplicationErrorCategoryBenign, Cause: err,
		})
	}
	if e.Retryable {
		if wait > 0 {
			return temporal.NewApplicationErrorWithOptions(msg, ErrTypeTransient, temporal.ApplicationErrorOptions{NextRetryDelay: wait, Cause: err})
		}
		return fmt.Errorf("%s: %w", what, err)
	}
	return temporal.NewNonRetryableApplicationError(msg, errorType(e), err)
}

// errorType names a business error by Microsoft's code.
func errorType(e *msrest.Error) string {
	switch e.Code {
	case "13605":
		return ErrTypeAgreementMissing
	case "20002":
		return ErrTypeNoRelationship
	case "2091", "800070", "800004", "2085", "800020", "2006", "2030":
		return ErrTypeOfferUnavailable
	case "2002", "800088":
		return ErrTypeQuantityOutOfRange
	}
	switch {
	case e.StatusCode == http.StatusUnauthorized || e.StatusCode == http.StatusForbidden:
		return ErrTypeUnauthorized
	case msrest.IsNotFound(e):
		return ErrTypeNotFound
	}
	return ErrTypeBusiness
}

func isNotFound(err error) bool { return msrest.IsNotFound(err) }

func codeOf(err error) string { return msrest.Code(err) }

package activities

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"go.temporal.io/sdk/temporal"

	"github.com/csptransfer/csptransfer"
	"github.com/csptransfer/csptransfer/internal/identity"
	"github.com/csptransfer/csptransfer/internal/msrest"
)

// Personal data never reaches an error an activity returns. Temporal stores failure messages and stack
// traces in plain text (the UI and CLI must show why a transfer failed without the codec endpoint), and
// it stores the message of every cause in the chain, not only the top one. So every error built from
// another system's text (Microsoft's descriptions and URLs, an SMTP relay's answer, Entra's token errors)
// passes through redact: e-mail addresses and user principal names become "<address>" wherever they
// appear, and the names, addresses and phone numbers the activity's own input carries become
// "<redacted>". Microsoft's error codes, HTTP statuses, paths and correlation ids stay.

// Placeholders for what redact removes.
const (
	redactedAddress = "<address>"
	redactedValue   = "<redacted>"
)

// addressPattern matches e-mail addresses and user principal names, guest UPNs ("jane_contoso.com#EXT#@…")
// and escaped ones included: percent-encoded once or twice as in a URL ("jane%40contoso.com"), JSON- or
// HTML-escaped.
var addressPattern = regexp.MustCompile(`(?i)[\p{L}\p{N}._%+'#!$*^{|}~-]+(?:@|%40|%2540|\\u0040|&#64;|&#x40;)[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)+`)

// scrub removes personal data from s: every e-mail address or UPN, then each of the known values (a
// contact's name, a customer's name, a phone number) as a whole word, in any letter case, also as it
// would appear in a URL. Values shorter than two characters are left alone: they would match too much.
func scrub(s string, known ...string) string {
	s = addressPattern.ReplaceAllString(s, redactedAddress)
	for _, v := range known {
		v = strings.TrimSpace(v)
		if utf8.RuneCountInString(v) < 2 {
			continue
		}
		forms := []string{v}
		for _, f := range []string{url.PathEscape(v), url.QueryEscape(v)} {
			if !slices.Contains(forms, f) {
				forms = append(forms, f)
			}
		}
		for _, f := range forms {
			s = replaceWord(s, f, redactedValue)
		}
	}
	return s
}

// replaceWord replaces v in s, ignoring case, where it is not part of a longer word: "Ann" goes, "Annual"
// stays.
func replaceWord(s, v, with string) string {
	re := regexp.MustCompile(`(?i)` + regexp.QuoteMeta(v))
	var b strings.Builder
	last := 0
	for _, m := range re.FindAllStringIndex(s, -1) {
		before, _ := utf8.DecodeLastRuneInString(s[:m[0]])
		after, _ := utf8.DecodeRuneInString(s[m[1]:])
		first, _ := utf8.DecodeRuneInString(v)
		end, _ := utf8.DecodeLastRuneInString(v)
		if (isWordRune(first) && isWordRune(before)) || (isWordRune(end) && isWordRune(after)) {
			continue
		}
		b.WriteString(s[last:m[0]])
		b.WriteString(with)
		last = m[1]
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

func isWordRune(r rune) bool {
	return r != utf8.RuneError && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_')
}

// redactedError stands in for another system's error as the cause of what an activity returns. Its
// message is the error's, scrubbed; it has no Unwrap, so Temporal, which stores the message of every
// cause it can unwrap, never reaches the original. errors.Is and errors.As still see the original, in
// this process only.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string        { return e.msg }
func (e *redactedError) Is(target error) bool { return errors.Is(e.err, target) }
func (e *redactedError) As(target any) bool   { return errors.As(e.err, target) }

// redact returns err with personal data removed from its message (see scrub); nil stays nil.
func redact(err error, known ...string) error {
	if err == nil {
		return nil
	}
	return &redactedError{msg: scrub(err.Error(), known...), err: err}
}

// attestationData is the personal data of an MCA attestation, for scrub.
func attestationData(at *csptransfer.Attestation) []string {
	if at == nil {
		return nil
	}
	return []string{at.FirstName + " " + at.LastName, at.FirstName, at.LastName, at.Email, at.PhoneNumber}
}

// userData is what scrub should know of a directory user from its UPN: the UPN, and the words of its local
// part, alone and together ("jane.doe@…" → "jane", "doe", "jane doe"), since Graph's messages name users
// by display name too, and display names are mostly made of the same words. Best effort: a display name
// unlike the UPN is not known here. Words shorter than three letters are left out.
func userData(upn string) []string {
	if upn == "" {
		return nil
	}
	local, _, _ := strings.Cut(upn, "@")
	local, _, _ = strings.Cut(local, "#EXT#")
	var words []string
	for _, w := range strings.FieldsFunc(local, func(r rune) bool { return r == '.' || r == '_' || r == '-' }) {
		if utf8.RuneCountInString(w) >= 3 {
			words = append(words, w)
		}
	}
	out := append([]string{upn}, words...)
	if len(words) > 1 {
		out = append(out, strings.Join(words, " "))
	}
	return out
}

// maxRetryAfter bounds how long one retry waits on Microsoft's Retry-After: the longest backoff the
// workflows use between attempts anyway.
const maxRetryAfter = 10 * time.Minute

// classify turns a Partner Center or Graph error into what Temporal should do with it: business
// rejections become non-retryable application errors with a named type; throttling is retried after the
// service's Retry-After; transient failures are retried on the activity's schedule. known is the
// personal data the call carried (see scrub); the error's text never includes it.
func classify(what string, err error, known ...string) error {
	safe := redact(err, known...)
	msg := scrub(what, known...) + ": " + safe.Error()
	if errors.Is(err, identity.ErrAppUserAccessLost) {
		// Retried on the activity's schedule, so the transfer goes on by itself once an operator has set
		// a new refresh token; the named type says in the UI what is wrong meanwhile.
		return temporal.NewApplicationErrorWithOptions(msg, ErrTypeAppUserAccessLost, temporal.ApplicationErrorOptions{Cause: safe})
	}
	e, ok := msrest.AsError(err)
	if !ok {
		// Transport, token or decoding trouble: worth another attempt.
		return fmt.Errorf("%s: %w", scrub(what, known...), safe)
	}
	wait := e.RetryAfter
	if wait > maxRetryAfter {
		// A bad or hostile Retry-After must not park a transfer for days; the limiter and the next
		// answer decide the pace from here.
		msg += fmt.Sprintf(" (Retry-After %s capped at %s)", wait, maxRetryAfter)
		wait = maxRetryAfter
	}
	if e.StatusCode == http.StatusTooManyRequests {
		return temporal.NewApplicationErrorWithOptions(msg, ErrTypeThrottled, temporal.ApplicationErrorOptions{
			NextRetryDelay: wait, Category: temporal.ApplicationErrorCategoryBenign, Cause: safe,
		})
	}
	if e.Retryable {
		if wait > 0 {
			return temporal.NewApplicationErrorWithOptions(msg, ErrTypeTransient, temporal.ApplicationErrorOptions{NextRetryDelay: wait, Cause: safe})
		}
		return fmt.Errorf("%s: %w", scrub(what, known...), safe)
	}
	return temporal.NewNonRetryableApplicationError(msg, errorType(e), safe)
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

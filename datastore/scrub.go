package datastore

import (
	"errors"
	"io"
	"net/url"
	"regexp"
)

var (
	// urlQueryRE matches a URL's query string (and fragment).
	urlQueryRE = regexp.MustCompile(`(?i)(\b[a-z][a-z0-9+.\-]*://[^\s?#"'<>]*)[?#][^\s"'<>]*`)
	// connKeyRE matches a connection string's secrets, up to the next ';'.
	connKeyRE = regexp.MustCompile(`(?i)\b(sharedaccesssignature|accountkey)(=)[^;\s"'<>]*`)
	// sigRE matches a SAS signature outside a URL, plain or URL-encoded.
	sigRE = regexp.MustCompile(`(?i)\b(sig)(=|%3d)[^&;\s"'<>]*`)
)

// Redacted replaces what Scrub removes.
const Redacted = "REDACTED"

// Scrub removes secrets from s: every URL's query string (a SAS token
// travels there: sv=…&sig=…) and any sig=, SharedAccessSignature= or
// AccountKey= value elsewhere.
func Scrub(s string) string {
	s = urlQueryRE.ReplaceAllString(s, "${1}?"+Redacted)
	s = connKeyRE.ReplaceAllString(s, "${1}${2}"+Redacted)
	return sigRE.ReplaceAllString(s, "${1}${2}"+Redacted)
}

// scrubbedError has a scrubbed message and keeps the error chain below it,
// so errors.Is (ErrNotFound…) and errors.As (azcore.ResponseError, and so
// bloberror.HasCode) still see the original errors.
type scrubbedError struct {
	msg  string
	errs []error
}

func (e *scrubbedError) Error() string   { return e.msg }
func (e *scrubbedError) Unwrap() []error { return e.errs }

// ScrubError returns err with its message scrubbed (see Scrub), keeping
// the chain inspectable. The query of a *url.Error in the chain (the form
// azcore's transport errors take) is scrubbed in place as well, so even an
// error unwrapped with errors.As prints no signature. Errors from Azure
// Blob storage pass through it before they leave this package; extstore
// uses it too. nil stays nil.
func ScrubError(err error) error {
	if err == nil {
		return nil
	}
	scrubURLErrors(err)
	msg := err.Error()
	if clean := Scrub(msg); clean != msg {
		return &scrubbedError{msg: clean, errs: []error{err}}
	}
	return err
}

// wrapScrubbed returns an error reading msg (scrubbed) that wraps errs.
func wrapScrubbed(msg string, errs ...error) error {
	for _, e := range errs {
		scrubURLErrors(e)
	}
	return &scrubbedError{msg: Scrub(msg), errs: errs}
}

// scrubURLErrors scrubs the URL of every *url.Error in err's chain.
func scrubURLErrors(err error) {
	var ue *url.Error
	for e := err; e != nil; {
		if errors.As(e, &ue) {
			ue.URL = Scrub(ue.URL)
			e = ue.Err
			continue
		}
		break
	}
}

// scrubReader scrubs the errors of a download that breaks off midway.
type scrubReader struct{ io.ReadCloser }

func (r scrubReader) Read(p []byte) (int, error) {
	n, err := r.ReadCloser.Read(p)
	if err != nil && err != io.EOF {
		err = ScrubError(err)
	}
	return n, err
}

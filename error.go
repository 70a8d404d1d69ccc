package shelfwise

import (
	"errors"
	"fmt"
)

// Error codes shared by every layer. Only the http package maps them to
// statuses; the CLI maps them to exit codes. Messages are for humans and must
// never carry a raw customer identifier.
const (
	ECONFLICT     = "conflict"
	EINTERNAL     = "internal"
	EINVALID      = "invalid"
	ENOTFOUND     = "not_found"
	EUNAUTHORIZED = "unauthorized"
	EFORBIDDEN    = "forbidden"
	ETOOLARGE     = "too_large"
	ERATELIMIT    = "rate_limited"
	ENOTIMPL      = "not_implemented"
)

// Error is a domain error: a machine-readable code and a message that is safe
// to show to a user. Internal details belong in logs, not here.
type Error struct {
	Code    string
	Message string
}

// Error implements the error interface.
func (e *Error) Error() string {
	return fmt.Sprintf("shelfwise error: code=%s message=%s", e.Code, e.Message)
}

// ErrorCode unwraps err to the first *Error and returns its code. A nil error
// has no code; any other error is EINTERNAL.
func ErrorCode(err error) string {
	var e *Error
	var ie *InputError
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	} else if errors.As(err, &ie) {
		return EINVALID
	}
	return EINTERNAL
}

// ErrorMessage unwraps err to the first *Error and returns its message. Other
// errors give a generic message so internals are never shown to a caller.
func ErrorMessage(err error) string {
	var e *Error
	var ie *InputError
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	} else if errors.As(err, &ie) {
		return ie.Error()
	}
	return "Internal error."
}

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code string, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// InputError locates bad input precisely: the file, the 1-based line (0 when
// the problem is not tied to a line) and the field. Importers and eval
// commands return it so users can fix their exports.
type InputError struct {
	File  string
	Line  int
	Field string
	Err   error
}

// Error formats the location first: "orders.csv line 12 field Quantity: ...".
func (e *InputError) Error() string {
	s := e.File
	if e.Line > 0 {
		s += fmt.Sprintf(" line %d", e.Line)
	}
	if e.Field != "" {
		s += " field " + e.Field
	}
	return s + ": " + e.Err.Error()
}

// Unwrap returns the underlying error.
func (e *InputError) Unwrap() error { return e.Err }

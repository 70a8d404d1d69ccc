package http

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/shelfwise/shelfwise"
)

// statusOf maps a shelfwise error code to an HTTP status.
func statusOf(code string) int {
	switch code {
	case shelfwise.EINVALID:
		return http.StatusBadRequest
	case shelfwise.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case shelfwise.EFORBIDDEN:
		return http.StatusForbidden
	case shelfwise.ENOTFOUND:
		return http.StatusNotFound
	case shelfwise.ECONFLICT:
		return http.StatusConflict
	case shelfwise.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	case shelfwise.ERATELIMIT:
		return http.StatusTooManyRequests
	case shelfwise.ENOTIMPL:
		return http.StatusNotImplemented
	default:
		return http.StatusInternalServerError
	}
}

// ErrorResponse is the body of every error: {"error":{"code","message"}}.
type ErrorResponse struct {
	Error ErrorBody `json:"error"`
}

// ErrorBody is a machine-readable code and a message safe to show.
type ErrorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// writeError writes err as an error response. Internal errors are logged
// with their detail and shown as a generic message.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := shelfwise.ErrorCode(err)
	msg := shelfwise.ErrorMessage(err)
	if errors.Is(err, errDeadline) || errors.Is(context.Cause(r.Context()), errDeadline) {
		code, msg = shelfwise.EINTERNAL, "The request took too long and was stopped."
	}
	if code == shelfwise.EINTERNAL {
		s.log.LogAttrs(r.Context(), slog.LevelError, "internal error",
			slog.String("route", routeName(r)), slog.String("err", err.Error()))
	}
	if rec, ok := w.(*recorder); ok {
		rec.code = code
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(statusOf(code))
	json.NewEncoder(w).Encode(ErrorResponse{Error: ErrorBody{Code: code, Message: msg}})
}

// writeJSON writes v with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

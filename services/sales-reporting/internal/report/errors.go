package report

import "errors"

// ErrInvalid is wrapped by every error the engine returns: each one is a
// malformed request, which the rpc layer answers with INVALID_ARGUMENT.
var ErrInvalid = errors.New("invalid report request")

// InvalidError names the request field at fault by its proto field name
// (group_by, granularity, start_date, end_date, dimension, metric, limit), so
// the rpc layer can turn it into a BadRequest field violation
// (fault.InvalidField(e.Field, "%s", e.Description)) without knowing the
// rules.
type InvalidError struct {
	Field       string
	Description string
}

func (e *InvalidError) Error() string { return e.Field + ": " + e.Description }

func (e *InvalidError) Unwrap() error { return ErrInvalid }

func invalid(field, description string) error {
	return &InvalidError{Field: field, Description: description}
}

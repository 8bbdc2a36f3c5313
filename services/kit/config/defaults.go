package config

import "cmp"

// OrDefault sets *p to def when *p is the zero value: a setting left out.
// For settings where a negative value means something (grpcx.Limits: a
// negative duration turns a limit off).
func OrDefault[T comparable](p *T, def T) {
	var zero T
	if *p == zero {
		*p = def
	}
}

// PositiveOr sets *p to def when *p is zero or negative: for sizes,
// counts and timeouts that only a positive value can bound.
func PositiveOr[T cmp.Ordered](p *T, def T) {
	var zero T
	if *p <= zero {
		*p = def
	}
}

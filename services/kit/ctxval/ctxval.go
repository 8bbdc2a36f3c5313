// Package ctxval carries one value of each type in a context: how the
// auth interceptor hands the principal to the rpc layer, and the rpc layer
// the caller to the domain's rules, with a key no other package can use.
package ctxval

import "context"

type key[T any] struct{}

// With returns ctx carrying v, in place of any T it carried.
func With[T any](ctx context.Context, v T) context.Context {
	return context.WithValue(ctx, key[T]{}, v)
}

// Of returns the T ctx carries; ok is false, and v the zero T, when none.
func Of[T any](ctx context.Context) (v T, ok bool) {
	v, ok = ctx.Value(key[T]{}).(T)
	return v, ok
}

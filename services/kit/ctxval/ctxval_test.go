package ctxval_test

import (
	"context"
	"testing"

	"github.com/cqlive/alliance/services/kit/ctxval"
)

type caller struct{ name string }
type other struct{ name string }

func TestEachTypeHasItsOwnValue(t *testing.T) {
	ctx := ctxval.With(context.Background(), caller{"a"})
	ctx = ctxval.With(ctx, other{"b"})
	if c, ok := ctxval.Of[caller](ctx); !ok || c.name != "a" {
		t.Fatalf("caller %v %v", c, ok)
	}
	if o, ok := ctxval.Of[other](ctx); !ok || o.name != "b" {
		t.Fatalf("other %v %v", o, ok)
	}
	if c, ok := ctxval.Of[caller](ctxval.With(ctx, caller{"c"})); !ok || c.name != "c" {
		t.Fatalf("a later value replaces the earlier: %v", c)
	}
	if _, ok := ctxval.Of[caller](context.Background()); ok {
		t.Fatal("an empty context carries no caller")
	}
}

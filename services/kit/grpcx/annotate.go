package grpcx

import (
	"context"
	"log/slog"
)

// Annotate adds attributes to the one log line the server writes for the
// current call (for example which key made it), so that everything about a
// call stays on one line. Outside a call of a grpcx server it does nothing.
func Annotate(ctx context.Context, attrs ...slog.Attr) {
	cs, ok := ctx.Value(callStateKey{}).(*callState)
	if !ok || len(attrs) == 0 {
		return
	}
	cs.mu.Lock()
	cs.attrs = append(cs.attrs, attrs...)
	cs.mu.Unlock()
}

func (c *callState) annotations() []slog.Attr {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]slog.Attr(nil), c.attrs...)
}

package grpcx

// Limits of the per-line errors that one import answer lists. The counts
// (accepted, duplicates, rejected) are always complete; the list holds the
// first errors up to these bounds, and the answer says when more were left
// out. 1 MiB keeps every answer well under gRPC's default 4 MiB receive
// limit, whatever the length of the messages.
const (
	MaxAnswerErrors     = 1000
	MaxAnswerErrorBytes = 1 << 20
)

// ErrorBudget decides which per-line errors fit into one import answer.
// The zero value applies MaxAnswerErrors and MaxAnswerErrorBytes.
type ErrorBudget struct {
	count, bytes int
	// Truncated reports that at least one error was left out.
	Truncated bool
}

// Admit reports whether one more error of the given encoded size fits; a
// refusal marks the budget Truncated.
func (b *ErrorBudget) Admit(size int) bool {
	if b.count >= MaxAnswerErrors || b.bytes+size > MaxAnswerErrorBytes {
		b.Truncated = true
		return false
	}
	b.count++
	b.bytes += size
	return true
}

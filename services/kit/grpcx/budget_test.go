package grpcx

import "testing"

func TestErrorBudget(t *testing.T) {
	var b ErrorBudget
	admitted := 0
	for range MaxAnswerErrors + 5 {
		if b.Admit(10) {
			admitted++
		}
	}
	if admitted != MaxAnswerErrors || !b.Truncated {
		t.Errorf("count bound: admitted %d (want %d), truncated %v", admitted, MaxAnswerErrors, b.Truncated)
	}

	var big ErrorBudget
	size := MaxAnswerErrorBytes / 3
	admitted = 0
	for range 5 {
		if big.Admit(size) {
			admitted++
		}
	}
	if admitted != 3 || !big.Truncated {
		t.Errorf("byte bound: admitted %d of size %d (want 3), truncated %v", admitted, size, big.Truncated)
	}

	var small ErrorBudget
	if !small.Admit(1) || small.Truncated {
		t.Error("a first small error is refused or marks the budget truncated")
	}
}

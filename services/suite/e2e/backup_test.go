package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/cqlive/alliance/services/suite/soak"
)

// TestBackupUnderLoad is the backup drill against the real binaries: a
// backup taken with alliance-admin while the soak's load writes, verified,
// refused over the running suite, restored into a fresh folder and the
// suite started on it; every write acknowledged before the backup began is
// there, once and as sent, the reports equal a recount, no sessions clash,
// every file passes tx.Check; and verify refuses an altered copy.
func TestBackupUnderLoad(t *testing.T) {
	res := drill(t, "drill", "runs the suite twice, under load", func(ctx context.Context, dir string) (*soak.BackupResult, error) {
		return soak.RunBackup(ctx, soak.BackupOptions{Bin: binDir, Dir: dir, Progress: testLog{t}})
	})
	// A drill that backed up nothing under load proves nothing.
	if res.AckedBefore < 50 || res.AckedTotal <= res.AckedBefore {
		t.Fatalf("%d writes acknowledged before the backup, %d in all: the load did not run across it", res.AckedBefore, res.AckedTotal)
	}
	if !strings.Contains(res.AlteredRefusal, "sales-reporting (sales.db)") {
		t.Errorf("verify of the altered copy does not name the file: %s", res.AlteredRefusal)
	}
}

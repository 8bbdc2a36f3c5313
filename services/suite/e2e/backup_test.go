package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cqlive/alliance/services/suite/soak"
)

// TestBackupUnderLoad is the backup drill against the real binaries: a
// backup taken with alliance-admin while the soak's load writes, verified,
// refused over the running suite, restored into a fresh folder and the
// suite started on it; every write acknowledged before the backup began is
// there, once and as sent, the reports equal a recount, no sessions clash,
// every file passes tx.Check; and verify refuses an altered copy.
func TestBackupUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the suite twice, under load")
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	res, err := soak.RunBackup(ctx, soak.BackupOptions{Bin: binDir, Dir: dir, Progress: testLog{t}})
	if err != nil {
		t.Fatalf("drill: %v%s", err, logTail(dir))
	}
	t.Log("\n" + res.Summary())
	if !res.OK() {
		t.Fatalf("the drill found failures%s", logTail(dir))
	}
	// A drill that backed up nothing under load proves nothing.
	if res.AckedBefore < 50 || res.AckedTotal <= res.AckedBefore {
		t.Fatalf("%d writes acknowledged before the backup, %d in all: the load did not run across it", res.AckedBefore, res.AckedTotal)
	}
	if !strings.Contains(res.AlteredRefusal, "sales-reporting (sales.db)") {
		t.Errorf("verify of the altered copy does not name the file: %s", res.AlteredRefusal)
	}
}

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A zone the machine does not know stops the demo before it writes
// anything; it used to be taken silently as UTC+8 under the wrong name.
func TestAnUnknownTimeZoneIsRefused(t *testing.T) {
	key := filepath.Join(t.TempDir(), "admin.key")
	if err := os.WriteFile(key, []byte("not-a-real-key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := run([]string{"-admin-key-file", key, "-time-zone", "Mars/Olympus",
		"-member-registry-addr", "127.0.0.1:1", "-session-scheduling-addr", "127.0.0.1:1", "-sales-reporting-addr", "127.0.0.1:1"})
	if err == nil || !strings.Contains(err.Error(), `time zone "Mars/Olympus"`) {
		t.Fatalf("run with -time-zone Mars/Olympus = %v; want an error naming the zone", err)
	}
}

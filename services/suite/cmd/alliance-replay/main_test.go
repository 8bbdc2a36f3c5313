package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// stdoutOf runs f with os.Stdout sent to a pipe and returns what f wrote.
func stdoutOf(t *testing.T, f func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stdout
	os.Stdout = w
	defer func() { os.Stdout = saved }()
	done := make(chan string)
	go func() {
		b, _ := io.ReadAll(r)
		done <- string(b)
	}()
	f()
	w.Close()
	return <-done
}

// A measurement loads nothing: what it prints first names the folder it
// measures, not the year the generator would make from the flags' defaults
// (which, on a 4× folder measured without -aov-yuan, said "about
// 26000000 sale lines").
func TestAMeasurementDescribesItsFolderNotTheGenerator(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "not-a-replay")
	var err error
	out := stdoutOf(t, func() { err = run([]string{"-measure", "2", "-data-dir", dir}) })
	if err == nil || !strings.Contains(err.Error(), "-measure needs the data folder") {
		t.Fatalf("run on a folder without a replay: err = %v", err)
	}
	for _, generator := range []string{"average order", "sale lines", "ENDED sessions"} {
		if strings.Contains(out, generator) {
			t.Errorf("the measurement printed the generator's %q:\n%s", generator, out)
		}
	}
	if !strings.Contains(out, dir) || !strings.Contains(out, "2 starts") {
		t.Errorf("the measurement does not name its folder and its starts:\n%s", out)
	}
}

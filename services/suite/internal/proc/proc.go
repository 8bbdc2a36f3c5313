// Package proc runs the suite's binaries as child processes: it starts
// them, streams their log lines to a sink, reports how each one ended, and
// stops them gracefully (SIGTERM, then SIGKILL after a bound). The launcher
// behind `make run` and the end-to-end tests share it.
package proc

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// Line is one line a process wrote, on stdout or stderr.
type Line struct {
	Proc string
	Text string
}

// Proc is one running child process.
type Proc struct {
	Name string
	cmd  *exec.Cmd
	done chan struct{}
	err  error // set before done is closed
	mu   sync.Mutex
	stop bool
}

// Start runs path with args. Every line of its output goes to sink (which
// must be safe for concurrent use). The child gets its own process group,
// so a Ctrl-C in the terminal reaches only the parent, which then stops
// the children in order.
func Start(name, path string, args []string, env []string, sink func(Line)) (*Proc, error) {
	cmd := exec.Command(path, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = sysProcAttr()
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &Proc{Name: name, cmd: cmd, done: make(chan struct{})}
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			sink(Line{Proc: name, Text: sc.Text()})
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	go func() {
		p.err = cmd.Wait()
		_ = pw.Close()
		<-copied
		close(p.done)
	}()
	return p, nil
}

// Done is closed when the process has exited and its output is drained.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Pid of the process.
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// Stopping reports whether Stop was called: an exit after that is expected.
func (p *Proc) Stopping() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stop
}

// ExitCode is the exit code once Done (-1 when killed by a signal).
func (p *Proc) ExitCode() int {
	<-p.done
	return p.cmd.ProcessState.ExitCode()
}

// Describe says how the process ended, e.g. "exited with code 1" or
// "killed by signal: killed".
func (p *Proc) Describe() string {
	<-p.done
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return "killed by signal: " + ws.Signal().String()
		}
		return fmt.Sprintf("exited with code %d", ee.ExitCode())
	}
	if p.err != nil {
		return p.err.Error()
	}
	return "exited with code 0"
}

// Signal sends sig to the process if it still runs.
func (p *Proc) Signal(sig os.Signal) {
	select {
	case <-p.done:
	default:
		_ = p.cmd.Process.Signal(sig)
	}
}

// Stop asks the process to shut down with SIGTERM and waits up to grace
// for it; then it kills it. It returns true when the exit was graceful
// (the process ended on its own, with code 0).
func (p *Proc) Stop(grace time.Duration) bool {
	p.mu.Lock()
	p.stop = true
	p.mu.Unlock()
	p.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return p.cmd.ProcessState.ExitCode() == 0
	case <-time.After(grace):
		_ = p.cmd.Process.Kill()
		<-p.done
		return false
	}
}

// Wait waits until the process exits or ctx ends.
func (p *Proc) Wait(ctx context.Context) error {
	select {
	case <-p.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

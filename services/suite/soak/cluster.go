package soak

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/cqlive/alliance/services/suite/internal/layout"
	"github.com/cqlive/alliance/services/suite/internal/proc"
)

// cluster runs the gRPC services of the suite as child processes and
// kills and restarts them. It notes every exit it did not cause. One
// goroutine drives it.
type cluster struct {
	bin   string
	specs []layout.Proc
	sink  func(proc.Line)

	running  map[string]*proc.Proc
	killed   map[*proc.Proc]bool
	stopped  bool
	unwanted []string
}

func newCluster(bin string, procs []layout.Proc, sink func(proc.Line)) *cluster {
	c := &cluster{bin: bin, sink: sink, running: map[string]*proc.Proc{}, killed: map[*proc.Proc]bool{}}
	for _, p := range procs {
		if p.GRPCService != "" { // the gateway holds no state: nothing to crash-test
			c.specs = append(c.specs, p)
		}
	}
	return c
}

func (c *cluster) names() []string {
	var n []string
	for _, s := range c.specs {
		n = append(n, s.Name)
	}
	return n
}

func (c *cluster) spec(name string) layout.Proc {
	for _, s := range c.specs {
		if s.Name == name {
			return s
		}
	}
	panic("soak: no process " + name)
}

// startAll starts the services in order, each healthy before the next.
func (c *cluster) startAll(ctx context.Context) error {
	for _, s := range c.specs {
		if err := c.start(ctx, s.Name); err != nil {
			return err
		}
	}
	return nil
}

func (c *cluster) start(ctx context.Context, name string) error {
	s := c.spec(name)
	p, err := proc.Start(s.Name, filepath.Join(c.bin, s.Name), s.Args, s.Env, c.sink)
	if err != nil {
		return err
	}
	c.running[name] = p
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := proc.WaitGRPC(wctx, p, s.Addr, s.GRPCService); err != nil {
		return fmt.Errorf("start %s: %w (logs in suite.log)", name, err)
	}
	return nil
}

// kill sends sig to the service (SIGKILL, or SIGTERM for a clean stop),
// waits for it to end and then for down, starts it again on the same data
// and address, and returns the time from that start to its first healthy
// answer.
func (c *cluster) kill(ctx context.Context, name string, down time.Duration, sig syscall.Signal) (time.Duration, error) {
	if err := c.reap(ctx); err != nil {
		return 0, err
	}
	p := c.running[name]
	c.killed[p] = true
	p.Signal(sig)
	<-p.Done()
	time.Sleep(down)
	began := time.Now()
	if err := c.start(ctx, name); err != nil {
		return 0, fmt.Errorf("restart after %s: %w", sig, err)
	}
	return time.Since(began), nil
}

// reap notes every service that died without being killed, and starts
// it again so that the soak goes on.
func (c *cluster) reap(ctx context.Context) error {
	for _, s := range c.specs {
		p := c.running[s.Name]
		select {
		case <-p.Done():
		default:
			continue
		}
		if c.killed[p] {
			continue
		}
		c.unwanted = append(c.unwanted, fmt.Sprintf("%s (pid %d) %s without being killed", s.Name, p.Pid(), p.Describe()))
		c.killed[p] = true // noted once
		if err := c.start(ctx, s.Name); err != nil {
			return err
		}
	}
	return nil
}

// stop stops the services gracefully in reverse order and returns, one a
// line, every exit that was not wanted: during the run, or at this stop.
func (c *cluster) stop(grace time.Duration) []string {
	if c.stopped {
		return nil
	}
	c.stopped = true
	var msgs []string
	for i := len(c.specs) - 1; i >= 0; i-- {
		p := c.running[c.specs[i].Name]
		if p == nil {
			continue
		}
		select {
		case <-p.Done():
			if !c.killed[p] {
				msgs = append(msgs, fmt.Sprintf("%s (pid %d) %s without being killed", p.Name, p.Pid(), p.Describe()))
			}
			continue
		default:
		}
		if !p.Stop(grace) {
			msgs = append(msgs, fmt.Sprintf("%s did not stop gracefully: %s", p.Name, p.Describe()))
		}
	}
	return append(c.unwanted, msgs...)
}

// suiteLog creates dir/suite.log and returns it with a sink that writes
// every line of every process to it, named by its process: one file to
// read after a failed run. The sink is safe for concurrent use.
func suiteLog(dir string) (*os.File, func(proc.Line), error) {
	f, err := os.Create(filepath.Join(dir, "suite.log"))
	if err != nil {
		return nil, nil, err
	}
	var mu sync.Mutex
	return f, func(l proc.Line) {
		mu.Lock()
		fmt.Fprintf(f, "%s | %s\n", l.Proc, l.Text)
		mu.Unlock()
	}, nil
}

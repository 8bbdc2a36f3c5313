package service_test

import (
	"errors"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/cqlive/alliance/services/kit/boltdb"
	"github.com/cqlive/alliance/services/kit/service"
	"github.com/cqlive/alliance/services/kit/testkit"
)

// fakeStore records what the start-up asks of it.
type fakeStore struct {
	asked     []string
	secretErr error
	c         *closers
}

func (s *fakeStore) WriteSnapshot(io.Writer) (boltdb.Snapshot, error) { return boltdb.Snapshot{}, nil }
func (s *fakeStore) Close() error                                     { return s.c.closer("store")() }
func (s *fakeStore) Secret(name string) ([]byte, error) {
	s.asked = append(s.asked, name)
	return []byte("key of " + name), s.secretErr
}

func TestOpenStoreOpensTheServicesFileAndClosesItWithTheStartUp(t *testing.T) {
	for _, c := range []struct {
		name       string
		openErr    error
		secretErr  error
		wantClosed []string
	}{
		{name: "an opened store closes when the start-up is abandoned", wantClosed: []string{"store"}},
		{name: "a store whose secret cannot be read still closes", secretErr: errors.New("read-only file"), wantClosed: []string{"store"}},
		{name: "a store that did not open is not closed", openErr: errors.New("locked")},
	} {
		t.Run(c.name, func(t *testing.T) {
			var cl closers
			b := service.Start(service.Config{DataDir: "/var/lib/demo", LockTimeout: 3 * time.Second}, spec, testkit.Quiet)
			fs := &fakeStore{secretErr: c.secretErr, c: &cl}
			var gotPath string
			var gotOpts boltdb.Options
			st, key, err := service.OpenStore(b, func(path string, o boltdb.Options) (*fakeStore, error) {
				gotPath, gotOpts = path, o
				if c.openErr != nil {
					return nil, c.openErr
				}
				return fs, nil
			})
			if gotPath != "/var/lib/demo/demo.db" || gotOpts.LockTimeout != 3*time.Second || gotOpts.Observe == nil {
				t.Errorf("opened %s with %+v, want the spec's file, the lock timeout and the commit metrics", gotPath, gotOpts)
			}
			switch {
			case c.openErr != nil:
				if !errors.Is(err, c.openErr) || st != nil {
					t.Fatalf("OpenStore = %v, %v; want the open's error", st, err)
				}
			case c.secretErr != nil:
				if !errors.Is(err, c.secretErr) {
					t.Fatalf("OpenStore error %v, want the secret's", err)
				}
			default:
				if err != nil || st != fs || string(key) != "key of page-token" || !slices.Equal(fs.asked, []string{"page-token"}) {
					t.Fatalf("OpenStore = %v, %q, %v; asked %v", st, key, err, fs.asked)
				}
			}
			if len(cl.closed) != 0 {
				t.Fatalf("closed %v before the start-up ended", cl.closed)
			}
			b.Abort()
			if !slices.Equal(cl.closed, c.wantClosed) {
				t.Fatalf("closed %v, want %v", cl.closed, c.wantClosed)
			}
		})
	}
}

package registry_test

import (
	"context"
	"fmt"
	"github.com/cqlive/alliance/services/kit/members"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/cqlive/alliance/services/kit/boltdb"
	"github.com/cqlive/alliance/services/member-registry/internal/registry"
	"github.com/cqlive/alliance/services/member-registry/internal/store"
)

// asked is a session-scheduling that knows no sessions and records what
// it was asked; hold, when set, blocks the question about that studio
// until released.
type asked struct {
	mu      sync.Mutex
	studios []string
	hold    string
	waiting chan struct{}
	release chan struct{}
}

func (a *asked) ActiveSession(_ context.Context, studio string) (string, error) {
	a.mu.Lock()
	a.studios = append(a.studios, studio)
	hold := a.hold == studio
	a.mu.Unlock()
	if hold {
		close(a.waiting)
		<-a.release
	}
	return "", nil
}

func (a *asked) list() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.studios)
}

// staff is the context of a call by the alliance's admins.
var staff = registry.WithCaller(context.Background(), registry.Caller{Trusted: true, Admin: true})

func newService(t *testing.T, b registry.Bookings) *registry.Service {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "member.db"), boltdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return registry.NewService(st, registry.Options{Bookings: b})
}

func newBase(t *testing.T, svc *registry.Service, id string, studios ...string) {
	t.Helper()
	m := registry.Member{Kind: members.Base, DisplayName: "基地", District: "dazu"}
	for _, s := range studios {
		m.Studios = append(m.Studios, registry.Studio{ID: s, DisplayName: s})
	}
	if _, err := svc.CreateMember(m, id, ""); err != nil {
		t.Fatal(err)
	}
}

func keep(studios ...string) registry.Member {
	var m registry.Member
	for _, s := range studios {
		m.Studios = append(m.Studios, registry.Studio{ID: s, DisplayName: s})
	}
	return m
}

// TestEachRemovedStudioIsAskedAboutOnce: removals of many bases at once
// share commits, and a write in a shared commit may run more than once;
// session-scheduling is still asked once per removed studio.
func TestEachRemovedStudioIsAskedAboutOnce(t *testing.T) {
	b := &asked{}
	svc := newService(t, b)
	const n = 40
	for i := range n {
		newBase(t, svc, fmt.Sprintf("base-%d", i), "s1", "s2")
	}
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			patch := keep("s2")
			patch.ID = fmt.Sprintf("base-%d", i)
			if _, err := svc.UpdateMember(staff, patch, []string{"studios"}, ""); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	got := b.list()
	slices.Sort(got)
	if len(got) != n || len(slices.Compact(got)) != n {
		t.Fatalf("%d questions for %d removed studios: %v", len(b.list()), n, b.list())
	}
}

// TestAStudioAddedDuringTheCheckIsCheckedToo: while the registry waits for
// the answer about s1, another update adds s4; the waiting update replaces
// the list without s4, so it must ask about s4 before it commits.
func TestAStudioAddedDuringTheCheckIsCheckedToo(t *testing.T) {
	b := &asked{hold: "members/base/studios/s1", waiting: make(chan struct{}), release: make(chan struct{})}
	svc := newService(t, b)
	newBase(t, svc, "base", "s1", "s2", "s3")
	done := make(chan error, 1)
	go func() {
		patch := keep("s2", "s3")
		patch.ID = "base"
		_, err := svc.UpdateMember(staff, patch, []string{"studios"}, "")
		done <- err
	}()
	<-b.waiting
	add := keep("s1", "s2", "s3", "s4")
	add.ID = "base"
	if _, err := svc.UpdateMember(staff, add, []string{"studios"}, ""); err != nil {
		t.Fatal(err)
	}
	close(b.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := b.list(); !slices.Equal(got, []string{"members/base/studios/s1", "members/base/studios/s4"}) {
		t.Fatalf("asked about %v, want s1 then s4", got)
	}
	m, _ := svc.GetMember("base")
	if len(m.Studios) != 2 || m.Studios[0].ID != "s2" || m.Studios[1].ID != "s3" {
		t.Fatalf("studios after both updates: %v", m.Studios)
	}
}

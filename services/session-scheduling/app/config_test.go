package app_test

import (
	"context"
	"flag"
	"sync"
	"testing"
	"time"

	sessionv1 "github.com/cqlive/alliance/gen/pb/alliance/session/v1"
	"github.com/cqlive/alliance/services/kit/service"
	"github.com/cqlive/alliance/services/session-scheduling/app"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

func TestLoweringMaxLengthCannotHideAConflict(t *testing.T) {
	w := newWorld(t)
	long := w.mustCreate(draft("host-a", x1, 60, 60+600)) // 10 hours
	// Restart with a one-hour maximum: the stored 10-hour session must still
	// be found when a one-hour booking lands in its eighth hour.
	w.stop()
	w.startScheduler(app.Config{MemberRegistryAddr: w.regAddr, MaxLength: time.Hour})
	_, err := w.create(draft("host-b", x1, 60+480, 60+540))
	wantErr(t, err, codes.FailedPrecondition, "STUDIO_DOUBLE_BOOKED")
	if !contains(err.Error(), long.GetName()) {
		t.Fatalf("error %v does not name %s", err, long.GetName())
	}
	_, err = w.create(draft("host-b", y1, 60, 60+61))
	wantErr(t, err, codes.InvalidArgument, "INVALID_ARGUMENT")
}

func TestMovedSessionFreesItsOldSlot(t *testing.T) {
	w := newWorld(t)
	s := w.mustCreate(draft("host-a", x1, 60, 120))
	_, err := w.api.UpdateSession(context.Background(), &sessionv1.UpdateSessionRequest{
		Session:    &sessionv1.Session{Name: s.GetName(), StartTime: timestamppb.New(at(300)), EndTime: timestamppb.New(at(360))},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"start_time", "end_time"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	w.mustCreate(draft("host-b", x1, 60, 120))
	_, err = w.create(draft("host-b", x1, 300, 360))
	wantErr(t, err, codes.FailedPrecondition, "STUDIO_DOUBLE_BOOKED")
}

func TestConcurrentRepeatsOfOneRequestIDMakeOneSession(t *testing.T) {
	w := newWorld(t)
	var wg sync.WaitGroup
	names := make([]string, 10)
	errs := make([]error, 10)
	for i := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := w.api.CreateSession(context.Background(), &sessionv1.CreateSessionRequest{Session: draft("host-a", x1, 60, 120), RequestId: "twice"})
			names[i], errs[i] = s.GetName(), err
		}()
	}
	wg.Wait()
	for i := range names {
		if errs[i] != nil || names[i] != names[0] {
			t.Fatalf("repeat %d: %q, %v; want %q", i, names[i], errs[i], names[0])
		}
	}
}

func TestFlagsHaveTheDefaultsOfAPI(t *testing.T) {
	t.Setenv("SESSION_SCHEDULING_CHANGEOVER_BUFFER", "20m")
	var c app.Config
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	if err := c.BindFlags(fs).Parse([]string{"-max-length", "8h"}); err != nil {
		t.Fatal(err)
	}
	want := app.Config{Config: service.Config{GRPCAddr: ":50052"}, MemberRegistryAddr: "localhost:50051", ChangeoverBuffer: 20 * time.Minute,
		MinLength: 15 * time.Minute, MaxLength: 8 * time.Hour, StartLeeway: time.Minute}
	if c.GRPCAddr != want.GRPCAddr || c.MemberRegistryAddr != want.MemberRegistryAddr || c.ChangeoverBuffer != want.ChangeoverBuffer ||
		c.MinLength != want.MinLength || c.MaxLength != want.MaxLength || c.StartLeeway != want.StartLeeway {
		t.Fatalf("config %+v, want %+v", c, want)
	}
}

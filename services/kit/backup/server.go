// Package backup is the suite's online backup: the server side of
// alliance.admin.v1.Maintenance/Backup, which every service with a bbolt
// file serves, and the client side that alliance-admin runs (Take, Verify,
// Restore) with the manifest that ties a backup's files together.
package backup

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"runtime/debug"
	"sort"
	"time"

	adminv1 "github.com/cqlive/alliance/gen/pb/alliance/admin/v1"
	"github.com/cqlive/alliance/services/kit/boltdb"
	"github.com/cqlive/alliance/services/kit/config"
	"github.com/cqlive/alliance/services/kit/fault"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// ChunkSize is the most file bytes one message of the stream carries,
// well under the 4 MiB a gRPC message may have.
const ChunkSize = 1 << 20

// Source is a store that can write a consistent copy of its file while it
// serves: kit/boltdb's Store, or any store that calls boltdb.WriteSnapshot.
type Source interface {
	WriteSnapshot(w io.Writer) (boltdb.Snapshot, error)
}

// Hook runs before each snapshot, in the call's context: a store that
// keeps writes outside its bbolt file (a write-ahead log) puts them in the
// file here, so that the snapshot holds every write acknowledged before
// the backup began. An error refuses the backup with it.
type Hook func(ctx context.Context) error

// DefaultSendTimeout bounds how long one chunk may wait for the client to
// take it; see Server.SendTimeout.
const DefaultSendTimeout = 30 * time.Second

// Server serves Maintenance/Backup for one service.
type Server struct {
	adminv1.UnsafeMaintenanceServer
	service, file string
	src           Source
	before        []Hook
	// SendTimeout (zero: DefaultSendTimeout) ends a backup whose client
	// stops reading: the snapshot's read transaction is open while the
	// stream is, and a write that must grow the file's memory map waits
	// for it, so a stalled client would stall those writes with it.
	SendTimeout time.Duration
}

// NewServer serves backups of src, the file named file of service; the
// hooks run, in order, before each snapshot.
func NewServer(service, file string, src Source, before ...Hook) *Server {
	return &Server{service: service, file: file, src: src, before: before}
}

// Domain is the ErrorInfo domain of backup failures.
const Domain = "admin.alliance"

// Backup streams one snapshot: chunks of the file, then the summary.
func (s *Server) Backup(_ *adminv1.BackupRequest, stream adminv1.Maintenance_BackupServer) error {
	ctx := stream.Context()
	for _, h := range s.before {
		if err := h(ctx); err != nil {
			return grpcx.Status(ctx, Domain, err)
		}
	}
	timeout := s.SendTimeout
	config.PositiveOr(&timeout, DefaultSendTimeout)
	c := &chunker{stream: stream, sum: sha256.New(), timeout: timeout}
	w := &grpcx.ChunkWriter{Size: ChunkSize, Send: c.send}
	snap, err := s.src.WriteSnapshot(w)
	if err == nil {
		err = w.Flush()
	}
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err() // the client went away; nothing to tell it
		}
		if errors.Is(err, errStalled) {
			return grpcx.Status(ctx, Domain, fault.New(fault.DeadlineExceeded, fault.CodeReason(4),
				"the backup of %s stopped: the client took no chunk for %s", s.file, timeout))
		}
		return grpcx.Status(ctx, Domain, fmt.Errorf("snapshot of %s: %w", s.file, err))
	}
	if snap.Size != c.sent {
		return grpcx.Status(ctx, Domain, fault.New(fault.Internal, fault.ReasonInternal, "the snapshot of %s is %d bytes and %d were sent", s.file, snap.Size, c.sent))
	}
	return stream.Send(&adminv1.BackupResponse{Summary: &adminv1.BackupSummary{
		Service: s.service, File: s.file, SizeBytes: c.sent, Sha256: hex.EncodeToString(c.sum.Sum(nil)),
		SchemaVersion: int64(snap.SchemaVersion), BucketKeys: snap.Keys, TxId: int64(snap.TxID),
		SnapshotTime: timestamppb.New(snap.Began), ServerVersion: Version(),
	}})
}

// chunker sends the chunks of a snapshot (see grpcx.ChunkWriter), sums
// them, and gives up on a client that takes none for timeout.
type chunker struct {
	stream  adminv1.Maintenance_BackupServer
	sum     hash.Hash
	sent    int64
	timeout time.Duration
}

var errStalled = errors.New("the client stopped reading")

func (c *chunker) send(chunk []byte) error {
	_, _ = c.sum.Write(chunk)
	// Send blocks while the client's flow-control window is full; the
	// send goes on in its goroutine after a timeout until the handler
	// returns, which ends the stream.
	sent := make(chan error, 1)
	msg := &adminv1.BackupResponse{Chunk: chunk}
	go func() { sent <- c.stream.Send(msg) }()
	timer := time.NewTimer(c.timeout)
	defer timer.Stop()
	select {
	case err := <-sent:
		if err != nil {
			return err
		}
	case <-timer.C:
		return errStalled
	}
	c.sent += int64(len(chunk))
	return nil
}

// Version describes the running binary: its module's version, the VCS
// revision when it was built with one, and the Go release.
func Version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Path + " " + bi.Main.Version
	var settings []string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision", "vcs.modified":
			settings = append(settings, s.Key+"="+s.Value)
		}
	}
	sort.Strings(settings)
	for _, s := range settings {
		v += " " + s
	}
	return v + " " + bi.GoVersion
}

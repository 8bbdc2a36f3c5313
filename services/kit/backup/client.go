package backup

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	adminv1 "github.com/cqlive/alliance/gen/pb/alliance/admin/v1"
	"github.com/cqlive/alliance/services/kit/boltdb"
	bolt "go.etcd.io/bbolt"
)

// ManifestFile is the name of a backup's manifest in its folder.
const ManifestFile = "manifest.json"

// FormatVersion is the version of the manifest this package writes and reads.
const FormatVersion = 1

// Manifest says what a backup holds: one entry per file, each as its
// service described its snapshot.
type Manifest struct {
	Format int `json:"format"`
	// Began is when the first snapshot was asked for, Finished when the
	// last file was on disk.
	Began    time.Time `json:"began"`
	Finished time.Time `json:"finished"`
	// ToolVersion is the build of the alliance-admin that took it.
	ToolVersion string `json:"tool_version"`
	Files       []File `json:"files"`
}

// File is one service's file in a backup.
type File struct {
	Service       string           `json:"service"`
	Name          string           `json:"file"`
	SizeBytes     int64            `json:"size_bytes"`
	SHA256        string           `json:"sha256"`
	SchemaVersion int              `json:"schema_version"`
	BucketKeys    map[string]int64 `json:"bucket_keys"`
	TxID          int64            `json:"tx_id"`
	SnapshotTime  time.Time        `json:"snapshot_time"`
	ServerVersion string           `json:"server_version"`
}

// Target is a service to back up: its name and a client of its
// Maintenance service (called with an admin key).
type Target struct {
	Service string
	Client  adminv1.MaintenanceClient
}

// Take backs every target up, one after another in the order given, into
// a new folder under out named after the time it began (UTC,
// 20260102T031700Z), and returns that folder. The files go to a hidden
// folder first, which becomes the backup only once every file and the
// manifest are written, checked and synced: a folder under out that looks
// like a backup is a whole one.
//
// Each file is checked as it arrives: its size and sha256 against what
// the service sent, and its key counts and schema against what the
// service counted in the snapshot's transaction.
func Take(ctx context.Context, out string, targets []Target) (string, *Manifest, error) {
	m := &Manifest{Format: FormatVersion, Began: time.Now().UTC(), ToolVersion: Version()}
	if err := os.MkdirAll(out, 0o750); err != nil {
		return "", nil, err
	}
	stamp := m.Began.Format("20060102T150405Z")
	tmp, err := os.MkdirTemp(out, "."+stamp+".partial-")
	if err != nil {
		return "", nil, err
	}
	defer os.RemoveAll(tmp) // a no-op once renamed
	for _, t := range targets {
		f, err := fetch(ctx, tmp, t)
		if err != nil {
			return "", nil, fmt.Errorf("%s: %w", t.Service, err)
		}
		m.Files = append(m.Files, f)
	}
	m.Finished = time.Now().UTC()
	raw, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return "", nil, err
	}
	if err := writeSynced(filepath.Join(tmp, ManifestFile), append(raw, '\n')); err != nil {
		return "", nil, err
	}
	if err := syncDir(tmp); err != nil {
		return "", nil, err
	}
	dir, err := claim(out, stamp, tmp)
	if err != nil {
		return "", nil, err
	}
	return dir, m, syncDir(out)
}

// claim renames tmp to out/stamp, or out/stamp-2 and so on when a backup
// of the same second is there.
func claim(out, stamp, tmp string) (string, error) {
	for i := 1; i < 100; i++ {
		name := stamp
		if i > 1 {
			name = fmt.Sprintf("%s-%d", stamp, i)
		}
		dir := filepath.Join(out, name)
		if _, err := os.Lstat(dir); err == nil {
			continue
		}
		if err := os.Rename(tmp, dir); err != nil {
			return "", err
		}
		return dir, nil
	}
	return "", fmt.Errorf("%s: too many backups named %s", out, stamp)
}

// fetch streams one service's snapshot into dir and checks it.
func fetch(ctx context.Context, dir string, t Target) (File, error) {
	stream, err := t.Client.Backup(ctx, &adminv1.BackupRequest{})
	if err != nil {
		return File{}, err
	}
	part := filepath.Join(dir, t.Service+".partial")
	f, err := os.OpenFile(part, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return File{}, err
	}
	defer f.Close()
	sum := sha256.New()
	w := io.MultiWriter(f, sum)
	var size int64
	var summary *adminv1.BackupSummary
	for summary == nil {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return File{}, errors.New("the stream ended before its summary: the copy is incomplete")
		}
		if err != nil {
			return File{}, err
		}
		if _, err := w.Write(msg.GetChunk()); err != nil {
			return File{}, err
		}
		size += int64(len(msg.GetChunk()))
		summary = msg.GetSummary()
	}
	if err := f.Sync(); err != nil {
		return File{}, err
	}
	if err := f.Close(); err != nil {
		return File{}, err
	}
	// An address given for the wrong service (-sales-reporting-addr naming
	// the registry) would file one service's snapshot as another's: it
	// verifies, and restores into the other's folder under its own name.
	if summary.GetService() != t.Service {
		return File{}, fmt.Errorf("the service at this address is %q, not %s: check the addresses", summary.GetService(), t.Service)
	}
	got := hex.EncodeToString(sum.Sum(nil))
	if size != summary.GetSizeBytes() || got != summary.GetSha256() {
		return File{}, fmt.Errorf("received %d bytes with sha256 %s; the service sent %d bytes with sha256 %s",
			size, got, summary.GetSizeBytes(), summary.GetSha256())
	}
	file := File{
		Service: t.Service, Name: filepath.Base(summary.GetFile()), SizeBytes: size, SHA256: got,
		SchemaVersion: int(summary.GetSchemaVersion()), BucketKeys: summary.GetBucketKeys(), TxID: summary.GetTxId(),
		SnapshotTime: summary.GetSnapshotTime().AsTime(), ServerVersion: summary.GetServerVersion(),
	}
	if file.Name == "." || file.Name == "" || file.Name == ManifestFile || !strings.HasSuffix(file.Name, ".db") {
		return File{}, fmt.Errorf("the service names its file %q", summary.GetFile())
	}
	if err := os.Rename(part, filepath.Join(dir, file.Name)); err != nil {
		return File{}, err
	}
	if problems := checkCopy(filepath.Join(dir, file.Name), file); len(problems) > 0 {
		return File{}, errors.Join(problems...)
	}
	return file, nil
}

// ReadManifest reads the manifest of the backup in dir.
func ReadManifest(dir string) (*Manifest, error) {
	raw, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", ManifestFile, err)
	}
	if m.Format != FormatVersion {
		return nil, fmt.Errorf("%s: format %d, this tool reads %d", ManifestFile, m.Format, FormatVersion)
	}
	if len(m.Files) == 0 {
		return nil, fmt.Errorf("%s lists no file", ManifestFile)
	}
	for _, f := range m.Files {
		if f.Name != filepath.Base(f.Name) || !strings.HasSuffix(f.Name, ".db") || f.Service == "" || f.Service != filepath.Base(f.Service) {
			return nil, fmt.Errorf("%s: a file of service %q named %q is not one this tool writes", ManifestFile, f.Service, f.Name)
		}
	}
	return &m, nil
}

// Verify checks the backup in dir against its manifest: every file there,
// of its size and sha256, opened read-only, passing bbolt's tx.Check, with
// the schema version and the key counts of every bucket the manifest
// says. It returns every problem it finds; none is a good backup.
func Verify(dir string) (*Manifest, []error) {
	m, err := ReadManifest(dir)
	if err != nil {
		return nil, []error{err}
	}
	var problems []error
	for _, f := range m.Files {
		problems = append(problems, checkCopy(filepath.Join(dir, f.Name), f)...)
	}
	return m, problems
}

// checkCopy checks one file against its entry. The sha256 comes first: a
// file that is not what the service sent is not opened, since bbolt may
// panic on a damaged page rather than report it.
func checkCopy(path string, want File) []error {
	name := want.Service + " (" + want.Name + ")"
	fail := func(format string, args ...any) []error {
		return []error{fmt.Errorf(name+": "+format, args...)}
	}
	sum, size, err := hashFile(path)
	if err != nil {
		return fail("%v", err)
	}
	if size != want.SizeBytes || sum != want.SHA256 {
		return fail("%d bytes with sha256 %s; the manifest says %d bytes with sha256 %s: the file was altered or damaged",
			size, sum, want.SizeBytes, want.SHA256)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: 5 * time.Second})
	if err != nil {
		return fail("open: %v", err)
	}
	defer db.Close()
	var problems []error
	err = db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			problems = append(problems, fmt.Errorf("%s: tx.Check: %w", name, err))
		}
		keys, version, err := boltdb.Count(tx)
		if err != nil {
			return err
		}
		if version != want.SchemaVersion {
			problems = append(problems, fmt.Errorf("%s: schema version %d; the manifest says %d", name, version, want.SchemaVersion))
		}
		for _, b := range slices.Sorted(maps.Keys(merge(keys, want.BucketKeys))) {
			if keys[b] != want.BucketKeys[b] {
				problems = append(problems, fmt.Errorf("%s: bucket %s has %d keys; the manifest says %d", name, b, keys[b], want.BucketKeys[b]))
			}
		}
		return nil
	})
	if err != nil {
		problems = append(problems, fmt.Errorf("%s: %w", name, err))
	}
	return problems
}

func merge(a, b map[string]int64) map[string]int64 {
	out := maps.Clone(a)
	for k, v := range b {
		out[k] = v
	}
	return out
}

func hashFile(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	return hex.EncodeToString(h.Sum(nil)), n, err
}

func writeSynced(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// ErrHeld reports that a running service holds a file that a restore
// would replace.
var ErrHeld = errors.New("a running service holds the file; stop it first")

// Known is what a restore knows of a service's store: the name of its
// file, and the newest schema version its binary reads.
type Known struct {
	File   string
	Schema int
}

// Restore writes the backup in dir into dataDir, each file where its
// service keeps it: dataDir/<service>/<file> (the layout of make run;
// each service's -data-dir is then dataDir/<service>). It verifies the
// backup first, and refuses, before it writes anything, a file of a
// service it does not know, of another name than the service's own file
// (a manifest that lists a service twice, or files one service's as
// another's, would restore nothing where the service reads it), or of a
// newer schema than known says, and a file in dataDir that a
// running service holds (bbolt's file lock). It replaces existing files:
// each one is written beside its target and renamed over it, so a target
// is either the old file or the whole new one.
//
// A write-ahead log beside a target (sales.wal beside sales.db) belongs to
// the file that was replaced, not to the backup: it is moved aside, to
// <name>.wal.replaced-<UTC time>, after the rename, so that the service
// starts from the backup as it is, and nothing of the old log is deleted.
// Moving it first would let a crash in between leave the old file without
// its log; moved after, a crash leaves the new file with the old log,
// which the service refuses to start on, saying so.
//
// An image beside a target (sales.image beside sales.db: what the service
// built in memory from the old file, a cache) is deleted after the rename,
// so that nothing of the old file's state is left to be read for the new
// one (the service would refuse it anyway: the image is stamped with the
// file it covers).
func Restore(dir, dataDir string, known map[string]Known) (Restored, error) {
	var out Restored
	files, err := restoreFiles(dir, dataDir, known)
	if err != nil {
		return out, err
	}
	out.Files = files
	stamp := time.Now().UTC().Format("20060102T150405Z")
	for _, f := range files {
		img := boltdb.ImagePath(f)
		if err := os.Remove(img); err != nil && !errors.Is(err, os.ErrNotExist) {
			return out, fmt.Errorf("%s: the old file's image could not be deleted (delete it before the service starts): %w", img, err)
		}
		log := boltdb.LogPath(f)
		if _, err := os.Stat(log); errors.Is(err, os.ErrNotExist) {
			continue
		} else if err != nil {
			return out, err
		}
		aside := log + ".replaced-" + stamp
		if err := os.Rename(log, aside); err != nil {
			return out, fmt.Errorf("%s: the old write-ahead log could not be moved aside (move it away before the service starts): %w", log, err)
		}
		if err := syncDir(filepath.Dir(log)); err != nil {
			return out, err
		}
		out.LogsAside = append(out.LogsAside, aside)
	}
	return out, nil
}

// Restored is what a restore wrote: the files, and the old write-ahead
// logs it moved aside.
type Restored struct {
	Files     []string
	LogsAside []string
}

func restoreFiles(dir, dataDir string, known map[string]Known) ([]string, error) {
	m, problems := Verify(dir)
	if len(problems) > 0 {
		return nil, fmt.Errorf("the backup does not verify: %w", errors.Join(problems...))
	}
	seen := map[string]bool{}
	for _, f := range m.Files {
		k, ok := known[f.Service]
		switch {
		case !ok:
			return nil, fmt.Errorf("%s: not a service this alliance-admin knows", f.Service)
		case seen[f.Service]:
			return nil, fmt.Errorf("%s: the manifest lists it twice", f.Service)
		case f.Name != k.File:
			return nil, fmt.Errorf("%s: the manifest gives it the file %s; its file is %s: the backup took one service's file as another's",
				f.Service, f.Name, k.File)
		case f.SchemaVersion > k.Schema:
			return nil, fmt.Errorf("%s: %s has schema version %d, newer than the %d this alliance-admin knows; restore it with the alliance-admin of its release",
				f.Service, f.Name, f.SchemaVersion, k.Schema)
		}
		seen[f.Service] = true
	}
	targets := make([]string, len(m.Files))
	for i, f := range m.Files {
		targets[i] = filepath.Join(dataDir, f.Service, f.Name)
	}
	// Refused early, before the slow copies, and again right before the
	// renames. No lock is held in between: a service that started meanwhile
	// would wait on the old file's lock and then run on the old file,
	// unlinked by the rename, losing what it writes. Unheld, it takes the
	// lock, and the second check refuses the restore.
	if err := notHeld(targets); err != nil {
		return nil, err
	}
	// The slow part first: every copy beside its target, synced.
	tmps := make([]string, len(m.Files))
	defer func() {
		for _, t := range tmps {
			if t != "" {
				_ = os.Remove(t)
			}
		}
	}()
	for i, f := range m.Files {
		if err := os.MkdirAll(filepath.Dir(targets[i]), 0o750); err != nil {
			return nil, err
		}
		tmp, err := copyBeside(filepath.Join(dir, f.Name), targets[i])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Service, err)
		}
		tmps[i] = tmp
	}
	afterCopy()
	if err := notHeld(targets); err != nil {
		return nil, err
	}
	for i := range m.Files {
		if err := os.Rename(tmps[i], targets[i]); err != nil {
			return nil, err
		}
		tmps[i] = ""
		if err := syncDir(filepath.Dir(targets[i])); err != nil {
			return nil, err
		}
	}
	return targets, nil
}

// afterCopy runs between the copies and the renames (a test's hook).
var afterCopy = func() {}

// notHeld fails with ErrHeld when a process holds one of the files (bbolt's
// file lock); a file that is not there, or too damaged to open, is not
// held.
func notHeld(targets []string) error {
	for _, t := range targets {
		if _, err := os.Stat(t); errors.Is(err, os.ErrNotExist) {
			continue
		}
		db, err := bolt.Open(t, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
		switch {
		case errors.Is(err, bolt.ErrTimeout):
			return fmt.Errorf("%s: %w", t, ErrHeld)
		case err != nil:
			continue // a damaged file, what a restore is for: nobody can hold it
		}
		if err := db.Close(); err != nil {
			return err
		}
	}
	return nil
}

// copyBeside copies from into a new file in to's folder and returns its name.
func copyBeside(from, to string) (string, error) {
	in, err := os.Open(from)
	if err != nil {
		return "", err
	}
	defer in.Close()
	var suffix [6]byte
	_, _ = rand.Read(suffix[:])
	tmp := filepath.Join(filepath.Dir(to), "."+filepath.Base(to)+".restore-"+hex.EncodeToString(suffix[:]))
	out, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		os.Remove(tmp)
		return "", err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		os.Remove(tmp)
		return "", err
	}
	if err := out.Close(); err != nil {
		os.Remove(tmp)
		return "", err
	}
	return tmp, nil
}

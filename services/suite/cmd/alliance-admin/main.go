// Command alliance-admin backs up, verifies and restores the suite's data:
//
//	alliance-admin backup -out DIR     snapshot every store while it serves, into a new DIR/<UTC time>/
//	alliance-admin verify DIR          check a backup: sizes, sha256, bbolt's tx.Check, record counts
//	alliance-admin restore DIR -data-dir D
//	                                   write a backup to D/<service>/<file>, once the services are stopped
//
// backup calls alliance.admin.v1.Maintenance/Backup on each service as an
// admin (the key in -admin-key-file), sales-reporting first, then
// session-scheduling, then member-registry: each snapshot is taken after
// the one of the service that refers to it, so what a sale or a session
// names is in the later snapshot (members and sessions are never deleted).
// A backup holds the three bbolt files and manifest.json; it holds no key
// file: keep the admin keys and the service secret with your other secrets.
//
// Every flag also has a variable, ALLIANCE_ADMIN_<FLAG> (-out is
// ALLIANCE_ADMIN_OUT).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	adminv1 "github.com/cqlive/alliance/gen/pb/alliance/admin/v1"
	"github.com/cqlive/alliance/services/kit/auth"
	"github.com/cqlive/alliance/services/kit/backup"
	"github.com/cqlive/alliance/services/kit/config"
	"github.com/cqlive/alliance/services/kit/grpcx"
	memberapp "github.com/cqlive/alliance/services/member-registry/app"
	salesapp "github.com/cqlive/alliance/services/sales-reporting/app"
	sessionapp "github.com/cqlive/alliance/services/session-scheduling/app"
	"github.com/cqlive/alliance/services/suite/internal/layout"
	"google.golang.org/grpc"
)

func main() { layout.Exit("alliance-admin", run(os.Args[1:], os.Stdout)) }

const usage = `usage:
  alliance-admin backup -out DIR [flags]      snapshot every store into a new folder DIR/<UTC time>/
  alliance-admin verify DIR                   check a backup against its manifest
  alliance-admin restore DIR -data-dir D      write a backup into D/<service>/ (services stopped)
Run a command with -h for its flags.`

func run(args []string, out io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, usage)
		return errors.New("no command")
	}
	switch args[0] {
	case "backup":
		return runBackup(args[1:], out)
	case "verify":
		return runVerify(args[1:], out)
	case "restore":
		return runRestore(args[1:], out)
	case "-h", "-help", "--help", "help":
		fmt.Fprintln(os.Stderr, usage)
		return flag.ErrHelp
	}
	fmt.Fprintln(os.Stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

// stores are the services with a bbolt file, in the order of a backup.
var stores = []struct{ name, flag, addr string }{
	{salesapp.Spec.Name, "sales-reporting-addr", layout.Defaults.SalesReporting},
	{sessionapp.Spec.Name, "session-scheduling-addr", layout.Defaults.SessionScheduling},
	{memberapp.Spec.Name, "member-registry-addr", layout.Defaults.MemberRegistry},
}

// known is each store's file and the newest schema of it that this build
// reads.
var known = map[string]backup.Known{
	memberapp.Spec.Name:  {File: memberapp.Spec.DBFile, Schema: memberapp.Spec.SchemaVersion},
	sessionapp.Spec.Name: {File: sessionapp.Spec.DBFile, Schema: sessionapp.Spec.SchemaVersion},
	salesapp.Spec.Name:   {File: salesapp.Spec.DBFile, Schema: salesapp.Spec.SchemaVersion},
}

func flags(cmd string) (*flag.FlagSet, *config.Set) {
	fs := flag.NewFlagSet("alliance-admin "+cmd, flag.ContinueOnError)
	return fs, config.New(fs, "ALLIANCE_ADMIN")
}

// parse parses flags given before and after the positional arguments
// (restore DIR -data-dir D) and returns the positional ones.
func parse(set *config.Set, args []string) ([]string, error) {
	var pos []string
	for {
		if err := set.Parse(args); err != nil {
			return nil, err
		}
		if set.FS.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, set.FS.Arg(0))
		args = set.FS.Args()[1:]
	}
}

func runBackup(args []string, out io.Writer) error {
	fs, set := flags("backup")
	var dir string
	var timeout time.Duration
	var admin layout.AdminCaller
	addrs := make([]string, len(stores))
	set.String(&dir, "out", "", "folder of backups; each backup is a new folder in it, named after its UTC time")
	for i, s := range stores {
		set.String(&addrs[i], s.flag, s.addr, "gRPC address of "+s.name)
	}
	admin.BindFlags(set.String, "file whose first line is an admin API key")
	set.Duration(&timeout, "timeout", time.Hour, "bound of the whole backup")
	pos, err := parse(set, args)
	if err != nil {
		return err
	}
	if dir == "" || len(pos) > 0 {
		fs.Usage()
		return errors.New("backup: give the folder with -out DIR, and nothing else")
	}
	key, transport, err := admin.Open()
	if err != nil {
		return err
	}
	creds := grpc.WithPerRPCCredentials(auth.PerRPCToken{Token: key, Insecure: admin.TLS.CAFile == ""})
	var targets []backup.Target
	for i, s := range stores {
		// The stream's own deadline bounds it; gRPC retries nothing once a
		// stream has begun, so an outage fails the backup, never a copy.
		cc, err := grpcx.Dial(addrs[i], grpcx.DialOptions{Timeout: timeout, GRPC: []grpc.DialOption{transport, creds}})
		if err != nil {
			return err
		}
		defer cc.Close()
		targets = append(targets, backup.Target{Service: s.name, Client: adminv1.NewMaintenanceClient(cc)})
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	path, m, err := backup.Take(ctx, dir, targets)
	if err != nil {
		return fmt.Errorf("backup: %w (nothing was kept)", err)
	}
	fmt.Fprintf(out, "backup %s (%s)\n", path, m.Finished.Sub(m.Began).Round(time.Millisecond))
	for _, f := range m.Files {
		fmt.Fprintf(out, "  %-18s  %-10s  %12d bytes  schema %d  sha256 %s\n", f.Service, f.Name, f.SizeBytes, f.SchemaVersion, f.SHA256)
	}
	return nil
}

func runVerify(args []string, out io.Writer) error {
	fs, set := flags("verify")
	pos, err := parse(set, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fs.Usage()
		return errors.New("verify: give one backup folder")
	}
	m, problems := backup.Verify(pos[0])
	if len(problems) > 0 {
		msgs := make([]string, len(problems))
		for i, p := range problems {
			msgs[i] = "  " + p.Error()
		}
		return fmt.Errorf("%s does not verify:\n%s", pos[0], strings.Join(msgs, "\n"))
	}
	fmt.Fprintf(out, "%s verifies: %d files, taken %s\n", pos[0], len(m.Files), m.Began.Format(time.RFC3339))
	for _, f := range m.Files {
		n := int64(0)
		for _, k := range f.BucketKeys {
			n += k
		}
		fmt.Fprintf(out, "  %-18s  %-10s  schema %d, %d buckets, %d keys, tx.Check clean\n", f.Service, f.Name, f.SchemaVersion, len(f.BucketKeys), n)
	}
	return nil
}

func runRestore(args []string, out io.Writer) error {
	fs, set := flags("restore")
	var dataDir string
	set.String(&dataDir, "data-dir", "", "the suite's data folder: each file goes to <data-dir>/<service>/ (as make run lays it out)")
	pos, err := parse(set, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || dataDir == "" {
		fs.Usage()
		return errors.New("restore: give one backup folder and -data-dir")
	}
	written, err := backup.Restore(pos[0], dataDir, known)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	fmt.Fprintf(out, "restored %s into %s:\n", pos[0], dataDir)
	for _, w := range written.Files {
		fmt.Fprintf(out, "  %s\n", w)
	}
	for _, l := range written.LogsAside {
		fmt.Fprintf(out, "the replaced file's write-ahead log was moved aside to %s (the service starts from the backup as it is)\n", l)
	}
	return nil
}

// Package config reads a service's settings from flags, with an environment
// variable as the fallback for each flag: a flag on the command line wins,
// then the variable, then the built-in default.
package config

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Set defines flags whose defaults come from PREFIX_NAME environment variables.
type Set struct {
	FS     *flag.FlagSet
	prefix string
	errs   []string
}

// New returns a Set on fs; prefix is e.g. "MEMBER_REGISTRY".
func New(fs *flag.FlagSet, prefix string) *Set { return &Set{FS: fs, prefix: prefix} }

// EnvName is the variable that backs a flag: -grpc-addr -> PREFIX_GRPC_ADDR.
func (s *Set) EnvName(flagName string) string {
	return s.prefix + "_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

func (s *Set) env(name string) (string, bool) {
	return os.LookupEnv(s.EnvName(name))
}

func (s *Set) usage(name, usage string) string {
	return fmt.Sprintf("%s (env %s)", usage, s.EnvName(name))
}

// String defines a string flag.
func (s *Set) String(p *string, name, def, usage string) {
	if v, ok := s.env(name); ok {
		def = v
	}
	s.FS.StringVar(p, name, def, s.usage(name, usage))
}

// Int defines an int flag.
func (s *Set) Int(p *int, name string, def int, usage string) {
	s.FS.IntVar(p, name, envDefault(s, name, def, strconv.Atoi, "an integer"), s.usage(name, usage))
}

// Duration defines a duration flag (e.g. 15m).
func (s *Set) Duration(p *time.Duration, name string, def time.Duration, usage string) {
	s.FS.DurationVar(p, name, envDefault(s, name, def, time.ParseDuration, "a duration"), s.usage(name, usage))
}

// Bool defines a bool flag.
func (s *Set) Bool(p *bool, name string, def bool, usage string) {
	s.FS.BoolVar(p, name, envDefault(s, name, def, strconv.ParseBool, "a boolean"), s.usage(name, usage))
}

// envDefault is the flag's default: the variable's value when it is set
// and parses, else def. A value that does not parse is kept for Parse to
// report, with what it should have been (kind).
func envDefault[T any](s *Set, name string, def T, parse func(string) (T, error), kind string) T {
	v, ok := s.env(name)
	if !ok {
		return def
	}
	x, err := parse(v)
	if err != nil {
		s.errs = append(s.errs, fmt.Sprintf("%s=%q: not %s", s.EnvName(name), v, kind))
		return def
	}
	return x
}

// Parse parses args; a bad environment value is an error too.
func (s *Set) Parse(args []string) error {
	if len(s.errs) > 0 {
		return fmt.Errorf("bad environment: %s", strings.Join(s.errs, "; "))
	}
	return s.FS.Parse(args)
}

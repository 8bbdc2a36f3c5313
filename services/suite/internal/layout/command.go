package layout

import (
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/cqlive/alliance/services/kit/tlsx"
	"google.golang.org/grpc"
)

// Exit ends a command of the suite with what its run returned: nothing
// for success or a request for -h (flag.ErrHelp; the usage is already
// printed), else the error after the command's name on stderr and status 1.
func Exit(command string, err error) {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return
	}
	fmt.Fprintln(os.Stderr, command+":", err)
	os.Exit(1)
}

// AdminCaller is how a command calls the services as the alliance's
// admin: the key file (its first line, see FirstLine) and the client side
// of TLS.
type AdminCaller struct {
	KeyFile string
	TLS     tlsx.Config
}

// BindFlags defines -admin-key-file (default data/admin.key, as `make
// run` makes it), -tls-ca, -tls-client-cert and -tls-client-key through
// define: flag.FlagSet.StringVar, or config.Set.String for flags with an
// environment fallback.
func (c *AdminCaller) BindFlags(define func(p *string, name, value, usage string), keyUsage string) {
	define(&c.KeyFile, "admin-key-file", "data/admin.key", keyUsage)
	define(&c.TLS.CAFile, "tls-ca", "", "CA of the services' certificates; TLS is on when set")
	define(&c.TLS.ClientCertFile, "tls-client-cert", "", "client certificate, when the services require one (mutual TLS)")
	define(&c.TLS.ClientKeyFile, "tls-client-key", "", "client private key")
}

// Open reads the admin key and the TLS files: the key, and the transport
// of the connections (plaintext without -tls-ca).
func (c AdminCaller) Open() (key string, transport grpc.DialOption, err error) {
	if key, err = FirstLine(c.KeyFile); err != nil {
		return "", nil, fmt.Errorf("admin key: %w", err)
	}
	if transport, err = c.TLS.DialOption(); err != nil {
		return "", nil, err
	}
	return key, transport, nil
}

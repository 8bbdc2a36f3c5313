package auth

import (
	"github.com/cqlive/alliance/services/kit/tlsx"
	"google.golang.org/grpc"
)

// ClientOptions are the dial options of one service of the suite calling
// another: TLS when t configures it, and, when the deployment has a
// service secret, this service's own token on every call.
func ClientOptions(service string, secret ServiceSecret, t tlsx.Config) ([]grpc.DialOption, error) {
	transport, err := t.DialOption()
	if err != nil {
		return nil, err
	}
	opts := []grpc.DialOption{transport}
	if len(secret) > 0 {
		opts = append(opts, grpc.WithPerRPCCredentials(PerRPCToken{Token: secret.Token(service), Insecure: t.CAFile == ""}))
	}
	return opts, nil
}

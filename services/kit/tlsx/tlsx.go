// Package tlsx turns certificate flags into TLS for gRPC servers, gRPC
// clients and the gateway's HTTP server. Plaintext is the local default;
// production turns TLS on with -tls-cert/-tls-key, and mutual TLS with
// -tls-client-ca.
package tlsx

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"

	"github.com/cqlive/alliance/services/kit/config"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
)

// Config holds the TLS files of one process.
type Config struct {
	// This process as a server.
	CertFile, KeyFile string
	// When set, clients must present a certificate signed by this CA (mTLS).
	ClientCAFile string
	// This process as a client of the other services: the CA that signs
	// their certificates (TLS to them is on when set), and its own client
	// certificate for mTLS.
	CAFile                        string
	ClientCertFile, ClientKeyFile string
}

// BindFlags defines the TLS flags on s.
func (c *Config) BindFlags(s *config.Set) {
	s.String(&c.CertFile, "tls-cert", "", "server certificate (PEM); TLS is on when set")
	s.String(&c.KeyFile, "tls-key", "", "server private key (PEM)")
	s.String(&c.ClientCAFile, "tls-client-ca", "", "CA of client certificates; when set, clients must present one (mutual TLS)")
	s.String(&c.CAFile, "tls-ca", "", "CA that signs the other services' certificates; calls to them use TLS when set")
	s.String(&c.ClientCertFile, "tls-client-cert", "", "client certificate presented to the other services (mutual TLS)")
	s.String(&c.ClientKeyFile, "tls-client-key", "", "client private key")
}

func pool(file string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	p := x509.NewCertPool()
	if !p.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s holds no PEM certificate", file)
	}
	return p, nil
}

// ServerTLS is the server side, or nil for plaintext.
func (c Config) ServerTLS() (*tls.Config, error) {
	if c.CertFile == "" && c.KeyFile == "" {
		if c.ClientCAFile != "" {
			return nil, fmt.Errorf("-tls-client-ca needs -tls-cert and -tls-key")
		}
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("TLS key pair: %w", err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if c.ClientCAFile != "" {
		p, err := pool(c.ClientCAFile)
		if err != nil {
			return nil, fmt.Errorf("client CA: %w", err)
		}
		cfg.ClientCAs, cfg.ClientAuth = p, tls.RequireAndVerifyClientCert
	}
	return cfg, nil
}

// ServerOptions are the grpc.ServerOptions for c (none for plaintext).
func (c Config) ServerOptions() ([]grpc.ServerOption, error) {
	cfg, err := c.ServerTLS()
	if err != nil || cfg == nil {
		return nil, err
	}
	return []grpc.ServerOption{grpc.Creds(credentials.NewTLS(cfg))}, nil
}

// ClientTLS is the client side, or nil for plaintext.
func (c Config) ClientTLS() (*tls.Config, error) {
	if c.CAFile == "" {
		if c.ClientCertFile != "" {
			return nil, fmt.Errorf("-tls-client-cert needs -tls-ca")
		}
		return nil, nil
	}
	p, err := pool(c.CAFile)
	if err != nil {
		return nil, fmt.Errorf("TLS CA: %w", err)
	}
	cfg := &tls.Config{RootCAs: p, MinVersion: tls.VersionTLS12}
	if c.ClientCertFile != "" {
		cert, err := tls.LoadX509KeyPair(c.ClientCertFile, c.ClientKeyFile)
		if err != nil {
			return nil, fmt.Errorf("TLS client key pair: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// DialOption is the transport credential for calls to other services.
func (c Config) DialOption() (grpc.DialOption, error) {
	cfg, err := c.ClientTLS()
	if err != nil {
		return nil, err
	}
	if cfg == nil {
		return grpc.WithTransportCredentials(insecure.NewCredentials()), nil
	}
	return grpc.WithTransportCredentials(credentials.NewTLS(cfg)), nil
}

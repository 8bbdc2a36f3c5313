package app_test

import (
	"crypto/tls"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	sessionv1 "github.com/cqlive/alliance/gen/pb/alliance/session/v1"
	"github.com/cqlive/alliance/services/gateway/app"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"github.com/cqlive/alliance/services/kit/testkit"
	"github.com/cqlive/alliance/services/kit/tlsx"
	"github.com/cqlive/alliance/services/kit/tlsx/tlsxtest"
)

// startTLS runs the registry and two stand-ins with TLS that requires a
// client certificate, and a gateway whose TLS settings mutate decides.
func startTLS(t *testing.T, certs tlsxtest.Files, mutate func(*app.Config)) string {
	t.Helper()
	server := tlsx.Config{CertFile: certs.ServerCert, KeyFile: certs.ServerKey, ClientCAFile: certs.CA}
	opts, err := server.ServerOptions()
	if err != nil {
		t.Fatal(err)
	}
	regAddr := testkit.Serve(t, registry().Server(grpcx.ServerOptions{GRPC: opts}))
	sessAddr, _ := healthOnly(t, sessionv1.SessionScheduler_ServiceDesc.ServiceName, opts...)
	salesAddr, _ := healthOnly(t, salesv1.SalesReporting_ServiceDesc.ServiceName, opts...)
	c := app.Config{
		MemberRegistryAddr: regAddr, SessionSchedulingAddr: sessAddr, SalesReportingAddr: salesAddr,
		MaxBodyBytes: 1 << 20, ReadyTimeout: 2 * time.Second,
	}
	mutate(&c)
	gw, err := app.New(c, testkit.Quiet)
	if err != nil {
		t.Fatal(err)
	}
	return testkit.Serve(t, gw)
}

func get(client *http.Client, url string) (int, string, error) {
	resp, err := client.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), nil
}

func TestHTTPSAndMutualTLSToTheServices(t *testing.T) {
	certs := tlsxtest.Write(t, t.TempDir())
	addr := startTLS(t, certs, func(c *app.Config) {
		c.TLS = tlsx.Config{
			CertFile: certs.ServerCert, KeyFile: certs.ServerKey, ClientCAFile: certs.CA,
			CAFile: certs.CA, ClientCertFile: certs.ClientCert, ClientKeyFile: certs.ClientKey,
		}
	})
	withCert := &http.Client{Transport: withKey(&http.Transport{TLSClientConfig: certs.ClientConfig(t, true), ForceAttemptHTTP2: true})}

	t.Run("a client with a certificate gets HTTP/2 over TLS, and the services answer over mutual TLS", func(t *testing.T) {
		resp, err := withCert.Get("https://" + addr + "/v1/districts")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || !strings.Contains(string(b), "banan") || resp.ProtoMajor != 2 {
			t.Errorf("got %d %s %.200s", resp.StatusCode, resp.Proto, b)
		}
	})
	t.Run("over HTTP/2 a request with a body and no key is 401, and the connection serves on", func(t *testing.T) {
		noKey := &http.Client{Transport: &http.Transport{TLSClientConfig: certs.ClientConfig(t, true), ForceAttemptHTTP2: true}}
		for range 3 {
			resp, err := noKey.Post("https://"+addr+"/v1/members", "application/json", strings.NewReader(strings.Repeat(" ", 10000)+"{}"))
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 401 || resp.ProtoMajor != 2 || !strings.Contains(string(b), "UNAUTHENTICATED") {
				t.Fatalf("got %d %s %.200s", resp.StatusCode, resp.Proto, b)
			}
		}
	})
	t.Run("readyz checks the services over the same TLS", func(t *testing.T) {
		code, body, err := get(withCert, "https://"+addr+"/readyz")
		if err != nil || code != 200 {
			t.Errorf("got %d %s %v", code, body, err)
		}
	})
	t.Run("a client without a certificate is refused", func(t *testing.T) {
		noCert := &http.Client{Transport: &http.Transport{TLSClientConfig: certs.ClientConfig(t, false)}}
		if code, body, err := get(noCert, "https://"+addr+"/v1/districts"); err == nil {
			t.Errorf("got %d %s", code, body)
		}
	})
	t.Run("a client that does not trust the CA is refused", func(t *testing.T) {
		untrusting := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{MinVersion: tls.VersionTLS12}}}
		if code, body, err := get(untrusting, "https://"+addr+"/v1/districts"); err == nil {
			t.Errorf("got %d %s", code, body)
		}
	})
	t.Run("plaintext HTTP is refused", func(t *testing.T) {
		code, body, err := get(http.DefaultClient, "http://"+addr+"/v1/districts")
		if err == nil && code == 200 {
			t.Errorf("got %d %s", code, body)
		}
	})
}

func TestWithoutItsClientCertificateTheGatewayIsNotReady(t *testing.T) {
	certs := tlsxtest.Write(t, t.TempDir())
	// HTTPS to the client, TLS to the services, but no client certificate:
	// the services refuse the handshake, and /readyz and the routes say so.
	addr := startTLS(t, certs, func(c *app.Config) {
		c.TLS = tlsx.Config{CertFile: certs.ServerCert, KeyFile: certs.ServerKey, CAFile: certs.CA}
		c.CallTimeout = 2 * time.Second
	})
	client := &http.Client{Transport: withKey(&http.Transport{TLSClientConfig: certs.ClientConfig(t, false)})}
	if code, body, err := get(client, "https://"+addr+"/readyz"); err != nil || code != 503 {
		t.Errorf("readyz: %d %s %v", code, body, err)
	}
	if code, body, err := get(client, "https://"+addr+"/v1/districts"); err != nil || code != 503 || !strings.Contains(body, "SERVICE_UNAVAILABLE") {
		t.Errorf("route: %d %s %v", code, body, err)
	}
}

func TestTLSFlags(t *testing.T) {
	for _, tc := range []struct {
		name string
		tls  tlsx.Config
	}{
		{"a client CA without a server certificate", tlsx.Config{ClientCAFile: "ca.pem"}},
		{"a client certificate without a CA", tlsx.Config{ClientCertFile: "c.pem", ClientKeyFile: "k.pem"}},
		{"a certificate file that does not exist", tlsx.Config{CertFile: "/nonexistent.pem", KeyFile: "/nonexistent-key.pem"}},
		{"a CA file that does not exist", tlsx.Config{CAFile: "/nonexistent-ca.pem"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := app.New(app.Config{MaxBodyBytes: 1, TLS: tc.tls}, testkit.Quiet); err == nil {
				t.Error("accepted")
			}
		})
	}
}

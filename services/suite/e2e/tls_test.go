package e2e

import (
	"context"
	"crypto/tls"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	memberv1 "github.com/cqlive/alliance/gen/pb/alliance/member/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// With TLS and mutual TLS on every connection (each service serves TLS and
// asks for a client certificate, and presents its own to the others; the
// gateway serves HTTPS), the story of the gateway issue passes through
// both doors: net/http trusting the test CA, and grpcurl with -cacert,
// -cert and -key.

func TestStoryOverHTTPSWithMutualTLSBehind(t *testing.T) {
	s := startSuiteTLS(t)
	walkStory(t, s.httpDoor(""))
}

func TestStoryOverGRPCWithMutualTLS(t *testing.T) {
	s := startSuiteTLS(t)
	walkStory(t, s.grpcurlDoor(""))

	// A client must present a certificate signed by the suite's CA, and
	// plaintext is refused. Each case carries the admin key, so that only
	// the transport can be the reason for the refusal.
	auth := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+s.adminKey)
	call := func(t *testing.T, creds grpc.DialOption) error {
		t.Helper()
		cc, err := grpc.NewClient(s.addrs.MemberRegistry, creds)
		if err != nil {
			t.Fatal(err)
		}
		defer cc.Close()
		ctx, cancel := context.WithTimeout(auth, 5*time.Second)
		defer cancel()
		_, err = memberv1.NewMemberRegistryClient(cc).GetMember(ctx, &memberv1.GetMemberRequest{Name: "members/jlp-base"})
		return err
	}
	withCert := credentials.NewTLS(s.certs.ClientConfig(t, true))
	for _, tc := range []struct {
		name  string
		creds grpc.DialOption
		ok    bool
	}{
		{"a client with the CA's certificate is served", grpc.WithTransportCredentials(withCert), true},
		{"a client without a certificate is refused", grpc.WithTransportCredentials(credentials.NewTLS(s.certs.ClientConfig(t, false))), false},
		{"a client with a certificate of another CA is refused", grpc.WithTransportCredentials(credentials.NewTLS(otherClient(t, s))), false},
		{"plaintext is refused", grpc.WithTransportCredentials(insecure.NewCredentials()), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := call(t, tc.creds)
			if tc.ok != (err == nil) {
				t.Fatalf("err = %v", err)
			}
			if err != nil && status.Code(err) != codes.Unavailable {
				t.Errorf("refused with %v, want UNAVAILABLE (no connection)", err)
			}
		})
	}
	t.Run("grpcurl without -cert, and with -plaintext, is refused", func(t *testing.T) {
		for _, flags := range [][]string{{"-cacert", s.certs.CA}, {"-plaintext"}} {
			args := append(flags, "-H", "authorization: Bearer "+s.adminKey, s.addrs.MemberRegistry, "alliance.member.v1.MemberRegistry/ListDistricts")
			out, err := exec.Command(grpcurl, args...).CombinedOutput()
			if err == nil || strings.Contains(string(out), "banan") {
				t.Errorf("grpcurl %v: %v\n%s", flags, err, out)
			}
		}
	})
	t.Run("the gateway refuses plaintext HTTP", func(t *testing.T) {
		req, _ := http.NewRequest("GET", "http://"+s.addrs.Gateway+"/v1/districts", nil)
		req.Header.Set("Authorization", "Bearer "+s.adminKey)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				t.Errorf("plaintext HTTP answered 200")
			}
		}
	})
}

func otherClient(t *testing.T, s *suite) *tls.Config {
	cfg := s.certs.ClientConfig(t, false)
	cert, err := tls.LoadX509KeyPair(s.certs.OtherClientCert, s.certs.OtherClientKey)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Certificates = []tls.Certificate{cert}
	return cfg
}

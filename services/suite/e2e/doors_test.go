package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"os/exec"
	"strings"
	"testing"

	"github.com/cqlive/alliance/services/kit/testkit"
	"google.golang.org/grpc/codes"
)

// A door is one way into the suite: HTTP/JSON through the gateway, or gRPC
// with grpcurl. The story is written once and walked through each door.
type door interface {
	name() string
	// call invokes rpc (e.g. "alliance.member.v1.MemberRegistry/GetMember")
	// with the gRPC request req, or, through the gateway, the HTTP route.
	call(t *testing.T, rpc, req string, r route) result
}

// route is the HTTP form of a call, per the services' *_http.yaml.
type route struct{ method, path, body string }

type result struct {
	code codes.Code
	http int // HTTP status; 0 over gRPC
	body map[string]any
	raw  string
}

// httpFor is the table of docs/API.md ("Errors"), written out here rather than
// taken from grpc-gateway, so the test checks the gateway against the design.
var httpFor = map[codes.Code]int{
	codes.OK: 200, codes.InvalidArgument: 400, codes.NotFound: 404, codes.AlreadyExists: 409,
	codes.FailedPrecondition: 400, codes.Aborted: 409, codes.Unauthenticated: 401,
	codes.PermissionDenied: 403, codes.Unavailable: 503,
}

// httpDoor calls the gateway; token, when set, goes in Authorization.
type httpDoor struct {
	base, token string
	client      *http.Client // nil: http.DefaultClient
}

func (httpDoor) name() string { return "http" }

func (d httpDoor) call(t *testing.T, rpc, _ string, r route) result {
	t.Helper()
	hdr := map[string]string{"Content-Type": "application/json"}
	if d.token != "" {
		hdr["Authorization"] = "Bearer " + d.token
	}
	client := d.client
	if client == nil {
		client = http.DefaultClient
	}
	reply := testkit.Fetch(t, client, r.method, d.base+r.path, r.body, hdr)
	if err := json.Unmarshal([]byte(reply.Raw), new(map[string]any)); err != nil {
		t.Fatalf("%s %s: %d, body is not JSON: %s", r.method, r.path, reply.Code, reply.Raw)
	}
	res := result{http: reply.Code, raw: reply.Raw, body: reply.Body}
	if reply.Code != 200 {
		c, _ := res.body["code"].(float64)
		res.code = codes.Code(c)
	}
	return res
}

// grpcurlDoor runs grpcurl; token, when set, goes in the authorization
// header; tls holds -cacert/-cert/-key (plaintext when empty).
type grpcurlDoor struct {
	addrs map[string]string // service package prefix -> address
	token string
	tls   []string
}

func (grpcurlDoor) name() string { return "grpcurl" }

func (d grpcurlDoor) call(t *testing.T, rpc, req string, _ route) result {
	t.Helper()
	addr := ""
	for prefix, a := range d.addrs {
		if strings.HasPrefix(rpc, prefix) {
			addr = a
		}
	}
	args := []string{"-format-error", "-d", "@"}
	if len(d.tls) == 0 {
		args = append(args, "-plaintext")
	}
	args = append(args, d.tls...)
	if d.token != "" {
		args = append(args, "-H", "authorization: Bearer "+d.token)
	}
	cmd := exec.Command(grpcurl, append(args, addr, rpc)...)
	cmd.Stdin = strings.NewReader(req)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := result{}
	var ee *exec.ExitError
	switch {
	case err == nil:
		res.raw = stdout.String()
	case errors.As(err, &ee) && ee.ExitCode() > 64:
		// grpcurl exits with 64 + the status code and, with -format-error,
		// prints the status as JSON on stderr.
		res.code = codes.Code(ee.ExitCode() - 64)
		res.raw = stderr.String()
	default:
		t.Fatalf("grpcurl %s: %v\n%s%s", rpc, err, stdout.String(), stderr.String())
	}
	if err := json.Unmarshal([]byte(res.raw), &res.body); err != nil {
		t.Fatalf("grpcurl %s: output is not JSON: %s", rpc, res.raw)
	}
	return res
}

// get walks a decoded JSON body: get(b, "attribution", "district").
// Numbers in JSON arrays are indexed by int.
func get(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			a, _ := v.([]any)
			if k >= len(a) {
				return nil
			}
			v = a[k]
		}
	}
	return v
}

func str(v any, path ...any) string {
	s, _ := get(v, path...).(string)
	return s
}

// reason is the ErrorInfo reason of a Status body.
func reason(r result) string {
	ds, _ := r.body["details"].([]any)
	for _, d := range ds {
		if strings.HasSuffix(str(d, "@type"), "google.rpc.ErrorInfo") {
			return str(d, "reason")
		}
	}
	return ""
}

// violations lists the fields of a Status body's BadRequest.
func violations(r result) []string {
	var fields []string
	ds, _ := r.body["details"].([]any)
	for _, d := range ds {
		if strings.HasSuffix(str(d, "@type"), "google.rpc.BadRequest") {
			fvs, _ := get(d, "fieldViolations").([]any)
			for _, fv := range fvs {
				fields = append(fields, str(fv, "field"))
			}
		}
	}
	return fields
}

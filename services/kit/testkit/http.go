package testkit

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// Reply is an HTTP answer as a test reads it: the status, the headers,
// the body as JSON (a google.rpc.Status for an error) and as text.
type Reply struct {
	Code   int
	Header http.Header
	Body   map[string]any
	Raw    string
}

// Fetch sends method url with body (none when empty) and the headers hdr
// through client, and reads the whole answer.
func Fetch(t testing.TB, client *http.Client, method, url, body string, hdr map[string]string) Reply {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := Reply{Code: resp.StatusCode, Header: resp.Header, Raw: string(raw)}
	_ = json.Unmarshal(raw, &r.Body)
	return r
}

// Detail returns the first detail of a Status body whose @type ends in
// typ (such as "google.rpc.BadRequest"), or nil.
func (r Reply) Detail(typ string) map[string]any {
	ds, _ := r.Body["details"].([]any)
	for _, d := range ds {
		m, _ := d.(map[string]any)
		if at, _ := m["@type"].(string); strings.HasSuffix(at, typ) {
			return m
		}
	}
	return nil
}

// Reason is the reason of the Status body's ErrorInfo, or "".
func (r Reply) Reason() string {
	s, _ := r.Detail("google.rpc.ErrorInfo")["reason"].(string)
	return s
}

// Bearer is a transport that sends Authorization: Bearer Key on every
// request that does not set its own Authorization header; Next (nil:
// http.DefaultTransport) carries it.
type Bearer struct {
	Key  string
	Next http.RoundTripper
}

// RoundTrip implements http.RoundTripper.
func (b Bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	next := b.Next
	if next == nil {
		next = http.DefaultTransport
	}
	if _, set := r.Header["Authorization"]; !set {
		r = r.Clone(r.Context())
		r.Header.Set("Authorization", "Bearer "+b.Key)
	}
	return next.RoundTrip(r)
}

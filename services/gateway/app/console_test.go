package app_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/cqlive/alliance/services/console"
)

// fetchRaw fetches url as a browser would, without the transport's own gzip
// handling, so the test sees what the gateway sent.
func fetchRaw(t *testing.T, method, url string, hdr map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	client := &http.Client{
		Transport:     &http.Transport{DisableCompression: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// firstAsset is the script index.html loads: a content-hashed name.
func firstAsset(t *testing.T) (string, []byte) {
	t.Helper()
	index, err := fs.ReadFile(console.FS(), "index.html")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`src="(/assets/[^"]+\.js)"`).FindSubmatch(index)
	if m == nil {
		t.Fatalf("index.html names no script:\n%s", index)
	}
	body, err := fs.ReadFile(console.FS(), strings.TrimPrefix(string(m[1]), "/"))
	if err != nil {
		t.Fatal(err)
	}
	return string(m[1]), body
}

func TestTheConsoleIsServedAtTheRoot(t *testing.T) {
	e := start(t, nil)
	index, err := fs.ReadFile(console.FS(), "index.html")
	if err != nil {
		t.Fatal(err)
	}
	script, scriptBody := firstAsset(t)

	for _, route := range []string{"/", "/index.html", "/leaderboards", "/members/banan-head", "/sessions/s-1", "/members/x/"} {
		t.Run("page "+route+" is index.html, revalidated, with a strict CSP", func(t *testing.T) {
			resp, body := fetchRaw(t, "GET", e.url+route, nil)
			if resp.StatusCode != 200 || !bytes.Equal(body, index) {
				t.Fatalf("%d, %d bytes, want index.html (%d bytes)", resp.StatusCode, len(body), len(index))
			}
			h := resp.Header
			if !strings.HasPrefix(h.Get("Content-Type"), "text/html") || h.Get("Cache-Control") != "no-cache" ||
				!strings.Contains(h.Get("Content-Security-Policy"), "script-src 'self'") || h.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("headers: %v", h)
			}
		})
	}
	t.Run("a hashed asset is cached for a year", func(t *testing.T) {
		resp, body := fetchRaw(t, "GET", e.url+script, nil)
		if resp.StatusCode != 200 || !bytes.Equal(body, scriptBody) {
			t.Fatalf("%d, %d bytes", resp.StatusCode, len(body))
		}
		if cc := resp.Header.Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
			t.Errorf("Cache-Control %q", cc)
		}
		if ct := resp.Header.Get("Content-Type"); !strings.Contains(ct, "javascript") {
			t.Errorf("Content-Type %q", ct)
		}
	})
	t.Run("gzip when the browser accepts it, the same bytes once unpacked", func(t *testing.T) {
		resp, body := fetchRaw(t, "GET", e.url+script, map[string]string{"Accept-Encoding": "br, gzip"})
		if resp.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(resp.Header.Get("Vary"), "Accept-Encoding") {
			t.Fatalf("headers: %v", resp.Header)
		}
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		plain, err := io.ReadAll(zr)
		if err != nil || !bytes.Equal(plain, scriptBody) {
			t.Errorf("unpacked %d bytes (%v), want %d", len(plain), err, len(scriptBody))
		}
		if len(body) >= len(scriptBody) {
			t.Errorf("gzip is %d bytes, the file %d", len(body), len(scriptBody))
		}
	})
	t.Run("an unchanged asset is 304 on revalidation", func(t *testing.T) {
		resp, _ := fetchRaw(t, "GET", e.url+"/", nil)
		again, body := fetchRaw(t, "GET", e.url+"/", map[string]string{"If-None-Match": resp.Header.Get("ETag")})
		if resp.Header.Get("ETag") == "" || again.StatusCode != 304 || len(body) != 0 {
			t.Errorf("ETag %q, then %d with %d bytes", resp.Header.Get("ETag"), again.StatusCode, len(body))
		}
	})
	t.Run("a missing asset is 404, not the page", func(t *testing.T) {
		for _, p := range []string{"/assets/main-00000000.js", "/favicon.ico", "/robots.txt"} {
			resp, body := fetchRaw(t, "GET", e.url+p, nil)
			if resp.StatusCode != 404 || bytes.Contains(body, []byte("<html")) || !bytes.Contains(body, []byte("FILE_NOT_FOUND")) {
				t.Errorf("%s: %d %s", p, resp.StatusCode, body)
			}
		}
	})
	t.Run("the API page is at /docs/", func(t *testing.T) {
		resp, _ := fetchRaw(t, "GET", e.url+"/docs", nil)
		if resp.StatusCode != 301 || resp.Header.Get("Location") != "/docs/" {
			t.Errorf("/docs: %d %v", resp.StatusCode, resp.Header)
		}
		docs, err := fs.ReadFile(console.FS(), "docs/index.html")
		if err != nil {
			t.Fatal(err)
		}
		resp, body := fetchRaw(t, "GET", e.url+"/docs/", nil)
		if resp.StatusCode != 200 || !bytes.Equal(body, docs) {
			t.Errorf("/docs/: %d, %d bytes", resp.StatusCode, len(body))
		}
	})
	t.Run("HEAD answers the headers, no body", func(t *testing.T) {
		resp, body := fetchRaw(t, "HEAD", e.url+script, nil)
		if resp.StatusCode != 200 || len(body) != 0 || resp.Header.Get("Content-Length") == "" {
			t.Errorf("%d, %d bytes, %v", resp.StatusCode, len(body), resp.Header)
		}
	})
	t.Run("a write outside /v1/ is 405 with a Status", func(t *testing.T) {
		r := do(t, "POST", e.url+"/members", `{}`, nil)
		if r.Code != 405 || r.Reason() != "METHOD_NOT_ALLOWED" || r.Header.Get("Allow") != "GET, HEAD" {
			t.Errorf("got %d %s %v", r.Code, r.Raw, r.Header)
		}
	})
	t.Run("the API keeps its routes and errors", func(t *testing.T) {
		if r := do(t, "GET", e.url+"/v1/districts", "", nil); r.Code != 200 {
			t.Errorf("/v1/districts: %d %s", r.Code, r.Raw)
		}
		if r := do(t, "GET", e.url+"/v1/no-such-route", "", nil); r.Code != 404 || r.Reason() != "ROUTE_NOT_FOUND" {
			t.Errorf("/v1/no-such-route: %d %s", r.Code, r.Raw)
		}
		if r := do(t, "GET", e.url+"/openapi/", "", nil); r.Code != 200 || !strings.Contains(r.Raw, "member_registry") {
			t.Errorf("/openapi/: %d %s", r.Code, r.Raw)
		}
	})
}

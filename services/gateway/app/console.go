package app

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/cqlive/alliance/services/kit/fault"
	"google.golang.org/grpc/codes"
)

// zeroTime: embedded files have no modification time; the ETag stands in.
var zeroTime time.Time

// The console's files are built once (make console) and embedded; nothing
// here is state. Hashed names under /assets/ never change their content, so
// they are cached for a year; the pages themselves are revalidated on every
// load, so a new build is picked up at once.
const (
	cacheImmutable  = "public, max-age=31536000, immutable"
	cacheRevalidate = "no-cache"
)

// consoleCSP lets the pages load only the gateway's own files and call only
// the gateway. The key lives in the page, so no script from elsewhere may
// ever run there. Inline style attributes are allowed: the chart and API
// viewer libraries set them.
const consoleCSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
	"font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

// asset is one embedded file, with its gzip form made on first demand.
type asset struct {
	body  []byte
	ctype string
	etag  string

	gzOnce sync.Once
	gz     []byte // nil when gzip does not make it smaller
}

func (a *asset) gzipped() []byte {
	a.gzOnce.Do(func() {
		if !compressible(a.ctype) || len(a.body) < 1024 {
			return
		}
		var b bytes.Buffer
		w, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
		_, _ = w.Write(a.body)
		_ = w.Close()
		if b.Len() < len(a.body) {
			a.gz = b.Bytes()
		}
	})
	return a.gz
}

func compressible(ctype string) bool {
	return strings.HasPrefix(ctype, "text/") || strings.Contains(ctype, "javascript") ||
		strings.Contains(ctype, "json") || strings.Contains(ctype, "svg")
}

// consoleHandler serves the built console of files: its assets, the API
// page at /docs/, and index.html for every other path that is not a file,
// so a client route such as /sessions/x opens the page that draws it.
func consoleHandler(files fs.FS) (http.Handler, error) {
	assets := map[string]*asset{}
	err := fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(files, p)
		if err != nil {
			return err
		}
		ctype := mime.TypeByExtension(path.Ext(p))
		if ctype == "" {
			ctype = http.DetectContentType(b)
		}
		sum := sha256.Sum256(b)
		assets["/"+p] = &asset{body: b, ctype: ctype, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
		return nil
	})
	if err != nil {
		return nil, err
	}
	index := assets["/index.html"]
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			writeStatus(w, http.StatusMethodNotAllowed, errorStatus(codes.Unimplemented, fault.ReasonMethodNotAllowed,
				"the console is read with GET; the API is under /v1/, see /openapi/", nil))
			return
		}
		p := path.Clean("/" + r.URL.Path)
		switch {
		case p == "/docs" && !strings.HasSuffix(r.URL.Path, "/"):
			http.Redirect(w, r, "/docs/", http.StatusMovedPermanently)
			return
		case p == "/docs":
			p = "/docs/index.html"
		case p == "/":
			p = "/index.html"
		}
		a, cache := assets[p], cacheRevalidate
		switch {
		case a != nil && strings.HasPrefix(p, "/assets/"):
			cache = cacheImmutable
		case a != nil:
		case strings.HasPrefix(p, "/assets/") || strings.Contains(path.Base(p), ".") || index == nil:
			// A missing file is a 404, never the page: a stale hashed name
			// must not be cached as HTML for a year.
			writeStatus(w, http.StatusNotFound, errorStatus(codes.NotFound, fault.ReasonConsoleFileNotFound, "no file "+r.URL.Path, nil))
			return
		default:
			a = index // a client route of the console
		}
		serveAsset(w, r, a, cache)
	}), nil
}

func serveAsset(w http.ResponseWriter, r *http.Request, a *asset, cache string) {
	h := w.Header()
	h.Set("Content-Type", a.ctype)
	h.Set("Cache-Control", cache)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Vary", "Accept-Encoding")
	if strings.HasPrefix(a.ctype, "text/html") {
		h.Set("Content-Security-Policy", consoleCSP)
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
	}
	body, etag := a.body, a.etag
	if gz := a.gzipped(); gz != nil && acceptsGzip(r) {
		body, etag = gz, strings.TrimSuffix(a.etag, `"`)+`-gz"`
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("ETag", etag)
	// ServeContent answers If-None-Match with 304, HEAD and ranges.
	http.ServeContent(w, r, "", zeroTime, bytes.NewReader(body))
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") && strings.TrimSpace(q) != "q=0" {
			return true
		}
	}
	return false
}

package console_test

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"

	"github.com/cqlive/alliance/services/console"
)

// TestBuiltPagesReferOnlyToEmbeddedAssets guards the committed build: every
// script and stylesheet an HTML page names is in the embedded files, and
// nothing is loaded from another origin (no CDN).
func TestBuiltPagesReferOnlyToEmbeddedAssets(t *testing.T) {
	files := console.FS()
	ref := regexp.MustCompile(`(?:src|href)="([^"]+)"`)
	for _, page := range []string{"index.html", "docs/index.html"} {
		b, err := fs.ReadFile(files, page)
		if err != nil {
			t.Fatalf("%s: %v (run `make console`)", page, err)
		}
		n := 0
		for _, m := range ref.FindAllStringSubmatch(string(b), -1) {
			u := m[1]
			switch {
			case strings.HasPrefix(u, "data:"):
				continue
			case strings.Contains(u, "//"):
				t.Errorf("%s loads %s from another origin", page, u)
			case strings.HasPrefix(u, "/assets/"):
				if _, err := fs.Stat(files, strings.TrimPrefix(u, "/")); err != nil {
					t.Errorf("%s names %s, which is not in dist/", page, u)
				}
				n++
			case strings.HasPrefix(u, "/"):
				// a page link such as "/" (back to the console)
			default:
				t.Errorf("%s names %s: assets must be absolute /assets/ paths", page, u)
			}
		}
		if n == 0 {
			t.Errorf("%s names no asset", page)
		}
	}
}

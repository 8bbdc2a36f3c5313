package app

import (
	"io/fs"
	"net/http"
	"strings"

	"github.com/cqlive/alliance/gen"
)

// openAPI serves the documents of gen/openapi and, at /openapi/, an index of them.
func openAPI() http.Handler {
	docs, err := fs.Sub(gen.OpenAPI, "openapi")
	if err != nil {
		panic(err) // the embed pattern guarantees the folder
	}
	files := http.StripPrefix("/openapi/", http.FileServerFS(docs))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/openapi/" {
			files.ServeHTTP(w, r)
			return
		}
		entries, _ := fs.ReadDir(docs, ".")
		var list []string
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), ".json") {
				list = append(list, "/openapi/"+e.Name())
			}
		}
		writeJSON(w, http.StatusOK, map[string]any{"documents": list})
	})
}

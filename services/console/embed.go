// Package console holds the built alliance console (dist/, made by `make
// console` from the TypeScript sources beside it and committed, so that
// `make run` needs no Node.js). The gateway serves it at /.
package console

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

// FS returns the built files: index.html, docs/index.html and assets/.
func FS() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // the embed pattern guarantees the folder
	}
	return sub
}

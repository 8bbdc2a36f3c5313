// Package gen holds the generated API of the alliance suite: gen/pb has the
// Go code of every proto in proto/, gen/openapi the OpenAPI documents of the
// HTTP routes. Everything under pb/ and openapi/ is written by `make generate`.
package gen

import "embed"

// OpenAPI holds the OpenAPI v2 documents, one per service, at openapi/*.swagger.json.
//
//go:embed openapi/*.swagger.json
var OpenAPI embed.FS

module github.com/cqlive/alliance/services/console

go 1.26.0

// The npm packages are not Go code; some ship .go files of their own.
ignore ./node_modules

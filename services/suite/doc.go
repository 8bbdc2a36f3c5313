// Package suite holds what runs the whole suite: the local launcher behind
// `make run`, the demo loader behind `make demo`, and end-to-end tests that
// start every binary as a real process.
package suite

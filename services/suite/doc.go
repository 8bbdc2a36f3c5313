// Package suite holds what runs the whole suite: the local launcher behind
// `make run`, the demo loader behind `make demo`, the replay, the crash
// soak, the benchmarks against real processes (bench, alliance-bench),
// tests of real services together in one process (servicetest), and
// end-to-end tests that start every binary as a real process (e2e).
package suite

//go:build race

package report

// raceOn: the race detector makes sync.Pool drop what it is given at
// random, so a test of what a pool saves cannot hold under it.
const raceOn = true

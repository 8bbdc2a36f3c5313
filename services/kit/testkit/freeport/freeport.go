// Package freeport picks loopback addresses for processes that tests and
// tools start on private ports, where the process must listen itself.
//
// Asking the kernel for port 0 and closing the socket again hands out a
// port from the ephemeral range, the same range every outbound connection
// takes its local port from: on a busy machine a client's connection (or
// another test's listener) can take the port before the started process
// binds it, and the process fails with "address already in use". Ports
// below the ephemeral range are never handed out that way, so only
// another caller of this package can meet the same port, and it picks at
// random among thousands.
//
// A port is free until its process binds it, which may be seconds later:
// a suite's start-up picks every address first. So this package never
// hands out the same port twice in one process (two services of one suite
// once got the same port by chance), and across processes the random pick
// keeps a meeting rare.
package freeport

import (
	"errors"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
)

// given holds the ports handed out by this process.
var given = struct {
	sync.Mutex
	ports map[int]bool
}{ports: map[int]bool{}}

// The range picked from: above the well-known and common service ports
// the suite itself uses (8080, 9101-9104, 50051-50053 are outside it),
// below Linux's default ephemeral range (32768-60999).
const (
	low  = 20000
	high = 32000
)

// Addr returns "127.0.0.1:port" for a port that was free a moment ago.
func Addr() (string, error) {
	given.Lock()
	defer given.Unlock()
	for range 100 {
		port := low + rand.IntN(high-low)
		if given.ports[port] {
			continue // handed out before, perhaps not bound yet
		}
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		l, err := net.Listen("tcp", addr)
		if err != nil {
			continue // taken: try another
		}
		if err := l.Close(); err != nil {
			return "", err
		}
		given.ports[port] = true
		return addr, nil
	}
	// A machine whose private range is full: fall back to the kernel's pick.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", errors.Join(errors.New("freeport: no loopback port"), err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

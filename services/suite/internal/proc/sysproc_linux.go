package proc

import "syscall"

// A child in its own group does not get the terminal's Ctrl-C; Pdeathsig
// makes it stop should the parent die without cleaning up.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}

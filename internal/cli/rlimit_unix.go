//go:build unix

package cli

import "syscall"

// raiseFileLimit raises the soft limit of open files to the hard one, since
// every connection is a file descriptor, and returns the limit in force.
// (Go itself raises it at start since 1.19; doing it again says so in the
// log, and holds where the runtime did not.)
func raiseFileLimit() (limit uint64, raised bool, err error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, false, err
	}
	if lim.Cur >= lim.Max {
		return uint64(lim.Cur), false, nil
	}
	want := lim
	want.Cur = want.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want); err != nil {
		return uint64(lim.Cur), false, err
	}
	return uint64(want.Cur), true, nil
}

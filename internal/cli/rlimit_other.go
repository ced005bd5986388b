//go:build !unix

package cli

// raiseFileLimit reports no limit where there is no RLIMIT_NOFILE.
func raiseFileLimit() (limit uint64, raised bool, err error) { return 0, false, nil }

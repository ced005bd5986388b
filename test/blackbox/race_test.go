//go:build race

package blackbox

// raceEnabled builds the server with the race detector when the tests run
// with it, so that a data race in the server fails the test that caused it
// (the server then exits non-zero on SIGTERM).
const raceEnabled = true

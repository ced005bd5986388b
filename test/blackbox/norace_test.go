//go:build !race

package blackbox

// raceEnabled: see race_test.go.
const raceEnabled = false

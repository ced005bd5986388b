package blackbox

import (
	"context"
	"flag"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/testbin"
)

// heraldBin is the binary under test, built once by TestMain.
var heraldBin string

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "herald-blackbox-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "blackbox:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	start := time.Now()
	heraldBin, err = build(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "blackbox:", err)
		return 1
	}
	if testing.Verbose() {
		fmt.Printf("blackbox: built %s (race: %v) in %s\n", heraldBin, raceEnabled, time.Since(start).Round(time.Millisecond))
	}
	media := startMediaServer()
	defer media.Close()
	return m.Run()
}

// build compiles ./cmd/herald from the module root into dir, with the race
// detector when the tests run with it.
func build(dir string) (string, error) {
	return testbin.Build(context.Background(), dir, raceEnabled)
}

package blackbox

import (
	"flag"
	"fmt"
	"os"
	"testing"

	"github.com/heraldhq/herald/internal/testbin"
)

// heraldBin is the binary under test, built once by TestMain.
var heraldBin string

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(run(m))
}

func run(m *testing.M) int {
	// With the race detector when the tests run with it.
	bin, remove, err := testbin.BuildTemp("blackbox", raceEnabled)
	if err != nil {
		fmt.Fprintln(os.Stderr, "blackbox:", err)
		return 1
	}
	defer remove()
	heraldBin = bin
	media := startMediaServer()
	defer media.Close()
	return m.Run()
}

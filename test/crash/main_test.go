package crash

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
	// Without the race detector even when the tests run with it: the
	// servers under test publish thousands of posts, which the race
	// detector would slow several times over, and the engine's own tests
	// run with it.
	bin, remove, err := testbin.BuildTemp("crash", false)
	if err != nil {
		fmt.Fprintln(os.Stderr, "crash:", err)
		return 1
	}
	defer remove()
	heraldBin = bin
	return m.Run()
}

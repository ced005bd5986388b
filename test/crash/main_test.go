package crash

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
	dir, err := os.MkdirTemp("", "herald-crash-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "crash:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	start := time.Now()
	if heraldBin, err = build(dir); err != nil {
		fmt.Fprintln(os.Stderr, "crash:", err)
		return 1
	}
	if testing.Verbose() {
		fmt.Printf("crash: built %s in %s\n", heraldBin, time.Since(start).Round(time.Millisecond))
	}
	return m.Run()
}

// build compiles the herald command into dir. It is built without the
// race detector even when the tests run with it: the servers under test
// publish thousands of posts, which the race detector would slow several
// times over, and the engine's own tests run with it.
func build(dir string) (string, error) {
	return testbin.Build(context.Background(), dir, false)
}

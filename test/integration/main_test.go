package integration

import (
	"os"
	"testing"

	"github.com/heraldhq/herald/internal/testpeer"
)

// peers are the GoToSocial server and PDS shared by every test of the
// package: each starts once, on first use, and stops after the last test.
// Tests make their own users with random names, so they do not see each
// other's state.
var peers testpeer.Peers

func TestMain(m *testing.M) { os.Exit(peers.Run(m)) }

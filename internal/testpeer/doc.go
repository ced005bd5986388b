// Package testpeer starts real protocol servers on loopback for Herald's
// integration tests: GoToSocial (a Mastodon-API server) and a Bluesky PDS with
// its PLC directory. Fakes prove that Herald follows the documentation; these
// prove that it speaks the protocol the way the real servers do.
//
// The servers are built or installed outside the repository by .ci/peers
// (test/peers/gotosocial/build.sh and test/peers/bluesky/install.sh) into
// $HERALD_PEERS_DIR, by default $HOME/.cache/herald-peers. When they are
// missing the helpers skip the test with a message saying to run .ci/peers,
// unless HERALD_REQUIRE_PEERS=1, which turns the skip into a failure (CI sets
// it so that a broken install cannot pass as green).
//
// StartGoToSocial and StartPDS give a test its own server, stopped in
// t.Cleanup. Starting takes seconds (GoToSocial about 15, the PDS about 5), so
// a package with several such tests shares one instance of each through a
// Peers value driven from TestMain:
//
//	var peers testpeer.Peers
//
//	func TestMain(m *testing.M) { os.Exit(peers.Run(m)) }
//
//	func TestSomething(t *testing.T) {
//		gts := peers.GoToSocial(t)
//		...
//	}
//
// Tests that share a server must not depend on its state beyond what they
// create themselves: use distinct user names and handles.
//
// Every server runs in its own process group and is stopped by its process
// id (SIGTERM, then SIGKILL for the group). On Linux the child also gets
// SIGKILL if the test binary dies without cleanup, and the PDS script exits
// when its standard input, held by the test binary, closes.
package testpeer

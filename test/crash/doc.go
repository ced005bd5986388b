// Package crash proves that Herald's publishing engine neither loses a post
// nor publishes one twice when its process dies or when several processes
// share the work.
//
// Its tests build the real binary and run `herald serve` against in-process
// fakes of Mastodon, Bluesky and Discord. Each fake sits behind a proxy that
// adds network latency and forwards every request it received to the fake
// even when Herald is gone, as a real network would: a request that left
// Herald is processed whatever happens to Herald afterwards. The crash test
// kills the server with SIGKILL at random moments, some while publications
// are in flight, restarts it on the same database, and checks every target's
// final state against what the fakes received. The two-node test runs two
// servers on one PostgreSQL schema. The package has no code besides its
// tests.
package crash

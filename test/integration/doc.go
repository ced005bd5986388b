// Package integration tests Herald end to end against real protocol servers
// on loopback: GoToSocial (a Mastodon-API server) and a Bluesky PDS with its
// PLC directory, both started by internal/testpeer.
//
// The tests run Herald's real command line in process (cli.Run "serve" on
// 127.0.0.1:0 with a SQLite database in a temporary directory), connect a
// profile on each server as a user would (the Mastodon one in a scripted
// browser through Herald's sign-in and connect pages and GoToSocial's real
// sign-in and authorize pages; the Bluesky one with an app password through
// the API), publish scheduled posts with text, links, mentions, hashtags,
// emoji and images (and captions at and over each server's text limit),
// and read every field back from the servers with clients of their own,
// not Herald's. That each post is there exactly once, and that deleting
// with ?remote=true removes it, is checked on the servers too. Herald runs
// on SQLite, and on PostgreSQL as well when HERALD_TEST_DATABASE_URL is set.
//
// The servers are built by .ci/peers; without them the tests skip, unless
// HERALD_REQUIRE_PEERS=1. Run with:
//
//	go test -race -v ./test/integration/
//
// There is no non-test code here: this file only documents the package.
package integration

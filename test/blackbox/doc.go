// Package blackbox tests Herald from the outside: its tests build the real
// binary, start `herald serve` as a subprocess on a free loopback port, on
// SQLite and (when HERALD_TEST_DATABASE_URL is set) on PostgreSQL, and drive
// the REST API over HTTP with the public client, raw requests, curl, Node.js
// and Python, as Ocoya's documentation does. The package has no code of its
// own besides its tests.
package blackbox

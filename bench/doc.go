// Package bench holds Herald's performance benchmarks and the helpers they
// share: building and starting the real `herald serve` binary as a separate
// process, a concurrent HTTP load generator over real TCP on loopback,
// latency percentiles, reading a process's resident memory and CPU time from
// /proc, and seeding a store with a million posts in bulk.
//
// The server always runs as its own process (the binary built from
// ./cmd/herald), so that its memory and CPU are its own and the load crosses
// a real socket; the load generator runs in the benchmark's process on the
// same machine, and so shares its cores (figures say so).
//
// Run the quick benchmarks with
//
//	go test -run '^$' -bench . ./bench/...
//
// and the heavy ones (a million seeded posts, 10,000 publications, a minute
// of idle) with HERALD_BENCH_HEAVY=1 as well; PostgreSQL variants run when
// HERALD_TEST_DATABASE_URL names a database (each in a throwaway schema).
// `go test ./...` runs only the helpers' unit tests: benchmarks do not run
// without -bench, and nothing is seeded outside a benchmark.
//
// docs/benchmarks.md records the figures, the machine and the commands.
package bench

package bench

import (
	"bufio"
	"context"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/cli"
)

// serveInProcess runs cli.Run with args in a goroutine and returns the
// server's URL once it listens, and a channel closed when Run returns
// (after ctx ends).
func serveInProcess(tb testing.TB, ctx context.Context, args []string) (string, <-chan struct{}) {
	tb.Helper()
	pr, pw := io.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer pw.Close()
		if code := cli.Run(ctx, args, os.Getenv, strings.NewReader(""), pw, io.Discard); code != 0 {
			tb.Errorf("herald %v exited with %d", args, code)
		}
	}()
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "Herald is listening on "); ok {
				u, _, _ = strings.Cut(u, " ")
				urls <- u
			}
		}
		io.Copy(io.Discard, pr)
	}()
	select {
	case u := <-urls:
		return u, done
	case <-done:
		tb.Fatal("herald serve returned before listening")
	case <-time.After(2 * time.Minute):
		tb.Fatal("herald serve did not listen within 2 minutes")
	}
	return "", done
}

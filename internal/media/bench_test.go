package media

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"
)

// heapPeak samples the live heap every millisecond (runtime/metrics does not
// stop the world) and reports the peak above the level at start.
type heapPeak struct {
	stop chan struct{}
	done sync.WaitGroup
	base uint64
	peak uint64
}

const heapMetric = "/memory/classes/heap/objects:bytes"

func readHeap() uint64 {
	s := []metrics.Sample{{Name: heapMetric}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

func startHeapPeak() *heapPeak {
	runtime.GC()
	h := &heapPeak{stop: make(chan struct{}), base: readHeap()}
	h.peak = h.base
	h.done.Add(1)
	go func() {
		defer h.done.Done()
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-h.stop:
				return
			case <-t.C:
				h.peak = max(h.peak, readHeap())
			}
		}
	}()
	return h
}

// MB returns the peak heap growth in MiB.
func (h *heapPeak) MB() float64 {
	close(h.stop)
	h.done.Wait()
	h.peak = max(h.peak, readHeap())
	return float64(h.peak-h.base) / (1 << 20)
}

// benchIngest downloads path from a local server, sniffs, probes and stores
// it, b.N times; each stored blob is deleted outside the timer so every
// iteration really writes.
func benchIngest(b *testing.B, file string, limits Limits) {
	fi, err := os.Stat(file)
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, file) // streamed from disk: the server holds no copy
	}))
	defer srv.Close()
	store := newLocalStore(b)
	in := NewIngester(IngesterConfig{
		Store:   store,
		Fetcher: NewFetcher(FetcherConfig{Policy: devPolicy}),
		Limits:  limits,
		TempDir: b.TempDir(),
	})
	ctx := context.Background()
	b.SetBytes(fi.Size())
	b.ReportAllocs()
	peak := startHeapPeak()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		info, err := in.IngestURL(ctx, srv.URL+"/"+filepath.Base(file))
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := store.Delete(ctx, info.SHA256); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(peak.MB(), "peak-heap-MB")
}

func BenchmarkIngestImage5MB(b *testing.B) {
	path := filepath.Join(b.TempDir(), "noise.png")
	png := encodePNG(b, noise(1290, 1290, 7)) // incompressible: about 5 MB
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.Fatal(err)
	}
	b.Logf("image file: %s", formatBytes(int64(len(png))))
	benchIngest(b, path, Limits{ImageMaxBytes: 6 << 20})
}

func BenchmarkIngestVideo50MB(b *testing.B) {
	path := filepath.Join(b.TempDir(), "clip.mp4")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := writeMP4(f, mp4Spec{brand: "isom", audio: true, width: 1920, height: 1080, frames: 1800, mdat: 50_000_000}); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	benchIngest(b, path, Limits{VideoMaxBytes: 64 << 20})
}

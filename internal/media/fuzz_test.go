package media

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// The seed corpora live in testdata/fuzz/<FuzzName>/ and are written by
// TestWriteFuzzSeeds (HERALD_WRITE_FUZZ_SEEDS=1 go test -run TestWriteFuzzSeeds)
// from the builders in testfiles_test.go. Run a fuzzer with, for example:
//
//	go test -run '^$' -fuzz '^FuzzProbeVideo$' -fuzztime 60s ./internal/media

func imageSeeds(t testing.TB) map[string][]byte {
	png := makePNG(t, 16, 8)
	jpg := makeJPEG(t, 16, 8)
	gif := makeGIF(t, 6, 5, 3)
	return map[string][]byte{
		"png":               png,
		"png-animated":      insertPNGChunk(png, "acTL", append(be32(2), be32(0)...)),
		"png-truncated":     png[:len(png)/2],
		"jpeg":              jpg,
		"jpeg-exif-6":       withEXIFOrientation(jpg, 6, false),
		"jpeg-exif-8-be":    withEXIFOrientation(jpg, 8, true),
		"jpeg-icc":          withJPEGICC(jpg, bytes.Repeat([]byte("icc"), 100)),
		"jpeg-truncated":    jpg[:40],
		"gif-animated":      gif,
		"gif-no-trailer":    gif[:len(gif)-1],
		"webp-lossy":        webpLossy,
		"webp-lossless":     webpLossless,
		"webp-alpha":        webpAlpha,
		"webp-animated":     webpAnimated1,
		"webp-photo":        readTestdata(t, "blue-purple-pink.lossy.webp"),
		"webp-photo-cut":    readTestdata(t, "blue-purple-pink.lossy.webp")[:500],
		"gif-minimal-empty": []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00\x3b"),
	}
}

func videoSeeds(t testing.TB) map[string][]byte {
	mp4 := makeMP4(t, mp4Spec{brand: "isom", audio: true, mdat: 64})
	return map[string][]byte{
		"mp4-avc-aac":      mp4,
		"mp4-rotated-tail": makeMP4(t, mp4Spec{brand: "mp42", rotation: 90, moovLast: true, mdat: 32}),
		"mp4-hevc":         makeMP4(t, mp4Spec{brand: "isom", codec: "hvc1", timescale: 30000, frameDelta: 1001}),
		"mp4-audio-only":   makeMP4(t, mp4Spec{brand: "isom", audioOnly: true}),
		"mov":              makeMP4(t, mp4Spec{brand: "qt  ", audio: true}),
		"mov-no-ftyp":      makeMP4(t, mp4Spec{}),
		"mov-prores":       makeMP4(t, mp4Spec{brand: "qt  ", codec: "apcn"}),
		"mp4-truncated":    mp4[:len(mp4)*2/3],
		"mp4-ftyp-only":    box("ftyp", []byte("isom"), be32(0), []byte("isom")),
	}
}

func sniffSeeds(t testing.TB) map[string][]byte {
	seeds := map[string][]byte{
		"html": []byte("<!doctype html><title>x</title>"),
		"svg":  []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`),
		"webm": {0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81},
		"heic": box("ftyp", []byte("heic"), be32(0), []byte("mif1heic")),
		"3gp":  box("ftyp", []byte("3gp5"), be32(0), []byte("3gp5")),
	}
	for name, b := range imageSeeds(t) {
		seeds[name] = b[:min(len(b), SniffLen)]
	}
	for name, b := range videoSeeds(t) {
		seeds[name] = b[:min(len(b), SniffLen)]
	}
	return seeds
}

// TestWriteFuzzSeeds regenerates the committed seed corpora.
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("HERALD_WRITE_FUZZ_SEEDS") == "" {
		t.Skip("set HERALD_WRITE_FUZZ_SEEDS=1 to rewrite testdata/fuzz")
	}
	for fuzzer, seeds := range map[string]map[string][]byte{
		"FuzzSniff":      sniffSeeds(t),
		"FuzzProbeImage": imageSeeds(t),
		"FuzzProbeVideo": videoSeeds(t),
	} {
		dir := filepath.Join("testdata", "fuzz", fuzzer)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, b := range seeds {
			content := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)
			if err := os.WriteFile(filepath.Join(dir, "seed-"+name), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func FuzzSniff(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		got, ok := Sniff(data)
		if ok && KindOf(got) == "" {
			t.Fatalf("Sniff accepted %q, which has no kind", got)
		}
		if !ok && got == "" {
			t.Fatal("Sniff refused without saying what it found")
		}
		if len(data) > SniffLen {
			if g2, ok2 := Sniff(data[:SniffLen]); g2 != got || ok2 != ok {
				t.Fatalf("Sniff depends on bytes past SniffLen: %q/%v vs %q/%v", got, ok, g2, ok2)
			}
		}
	})
}

func FuzzProbeImage(f *testing.F) { f.Fuzz(checkProbe) }

func FuzzProbeVideo(f *testing.F) { f.Fuzz(checkProbe) }

// checkProbe asserts what must hold for any input: no panic, a typed error
// or a sane Info, and memory bounded by a constant plus the input's size.
func checkProbe(t *testing.T, data []byte) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	info, err := Probe(bytes.NewReader(data), int64(len(data)))
	runtime.ReadMemStats(&after)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8<<20+uint64(len(data))*16 {
		t.Fatalf("Probe allocated %d bytes for a %d-byte input", alloc, len(data))
	}
	if err != nil {
		var me *Error
		if !errors.As(err, &me) || (me.Code != CodeMalformed && me.Code != CodeUnsupportedType) {
			t.Fatalf("Probe error %v (%T) is not a malformed or unsupported *Error", err, err)
		}
		return
	}
	if info.Size != int64(len(data)) || KindOf(info.MIME) != info.Kind {
		t.Fatalf("inconsistent Info %+v for %d bytes", info, len(data))
	}
	if info.Width <= 0 || info.Height <= 0 {
		t.Fatalf("accepted a file without dimensions: %+v", info)
	}
	if info.Kind == KindImage && info.Frames < 1 {
		t.Fatalf("accepted an image without frames: %+v", info)
	}
	if info.Duration < 0 || info.FPS < 0 {
		t.Fatalf("negative duration or frame rate: %+v", info)
	}
}

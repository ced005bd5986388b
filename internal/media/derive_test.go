package media

import (
	"bytes"
	"compress/zlib"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"math"
	"math/rand/v2"
	"testing"
)

// ingestBytes stores b and returns its Info, as Ingest would.
func ingestBytes(t *testing.T, store Store, b []byte) Info {
	t.Helper()
	in := NewIngester(IngesterConfig{Store: store, TempDir: t.TempDir(), Limits: Limits{ImageMaxBytes: 100 << 20}})
	info, err := in.IngestReader(context.Background(), "test", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return *info
}

func openAll(t *testing.T, store Store, key string) []byte {
	t.Helper()
	rc, _, err := store.Open(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func near(c color.Color, r, g, b uint8) bool {
	cr, cg, cb, _ := c.RGBA()
	d := func(a uint32, b uint8) bool { return math.Abs(float64(a>>8)-float64(b)) <= 24 }
	return d(cr, r) && d(cg, g) && d(cb, b)
}

// halves is w×h with the left half red and the right half blue.
func halves(w, h int) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.NRGBA{255, 0, 0, 255}
			if x >= w/2 {
				c = color.NRGBA{0, 0, 255, 255}
			}
			m.SetNRGBA(x, y, c)
		}
	}
	return m
}

// photo is a smooth picture with a little grain, which compresses like a
// photograph.
func photo(w, h int) *image.NRGBA {
	m := gradient(w, h, false)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range m.Pix {
		if i%4 != 3 {
			m.Pix[i] = uint8(min(255, max(0, int(m.Pix[i])+int(r.IntN(17))-8)))
		}
	}
	return m
}

func TestDerivePNGToJPEGFlattensOntoWhite(t *testing.T) {
	t.Parallel()
	store := newLocalStore(t)
	src := ingestBytes(t, store, encodePNG(t, gradient(64, 32, true)))
	got, err := Derive(context.Background(), store, src, Target{MIME: MIMEJPEG})
	if err != nil {
		t.Fatal(err)
	}
	if got.MIME != MIMEJPEG || got.Width != 64 || got.Height != 32 || got.SHA256 == src.SHA256 {
		t.Fatalf("derived = %+v", got)
	}
	out, err := jpeg.Decode(bytes.NewReader(openAll(t, store, got.SHA256)))
	if err != nil {
		t.Fatal(err)
	}
	if c := out.At(5, 16); !near(c, 255, 255, 255) {
		t.Errorf("transparent area became %v, want white", c)
	}
	want := gradient(64, 32, false).NRGBAAt(50, 16)
	if c := out.At(50, 16); !near(c, want.R, want.G, want.B) {
		t.Errorf("opaque area became %v, want about %v", c, want)
	}
	if _, err := store.Stat(context.Background(), src.SHA256); err != nil {
		t.Errorf("original gone: %v", err)
	}
}

func TestDeriveFitsBlueskyLimits(t *testing.T) {
	t.Parallel()
	store := newLocalStore(t)
	src := ingestBytes(t, store, encodeJPEG(t, photo(2400, 1600), 98))
	if src.Size <= 1_000_000 {
		t.Fatalf("test image is only %d bytes; it must be over the cap", src.Size)
	}
	target := Target{MaxBytes: 1_000_000, MaxWidth: 2000, MaxHeight: 2000}
	got, err := Derive(context.Background(), store, src, target)
	if err != nil {
		t.Fatal(err)
	}
	if got.Size > 1_000_000 || got.Width > 2000 || got.Height > 2000 || got.MIME != MIMEJPEG {
		t.Fatalf("derived = %+v, want a JPEG within 1,000,000 bytes and 2000×2000", got)
	}
	if ratio := float64(got.Width) / float64(got.Height); math.Abs(ratio-1.5) > 0.01 {
		t.Errorf("shape changed: %d×%d", got.Width, got.Height)
	}
	if got.Width < 1500 {
		t.Errorf("shrunk to %d px wide; a photo this smooth fits at 2000", got.Width)
	}
	t.Logf("2400×1600 JPEG of %s became %d×%d, %s", formatBytes(src.Size), got.Width, got.Height, formatBytes(got.Size))
}

func TestDeriveAppliesEXIFOrientation(t *testing.T) {
	t.Parallel()
	store := newLocalStore(t)
	// Stored 40×20 with red on the left; orientation 6 means "rotate 90°
	// clockwise to display", so a viewer shows 20×40 with red on top.
	src := ingestBytes(t, store, withEXIFOrientation(encodeJPEG(t, halves(40, 20), 95), 6, false))
	if src.Width != 20 || src.Height != 40 {
		t.Fatalf("probe: %d×%d, want the displayed 20×40", src.Width, src.Height)
	}
	got, err := Derive(context.Background(), store, src, Target{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Width != 20 || got.Height != 40 || got.Orientation != 1 {
		t.Fatalf("derived = %d×%d orientation %d, want 20×40 upright", got.Width, got.Height, got.Orientation)
	}
	out, _ := jpeg.Decode(bytes.NewReader(openAll(t, store, got.SHA256)))
	if c := out.At(10, 5); !near(c, 255, 0, 0) {
		t.Errorf("top is %v, want red", c)
	}
	if c := out.At(10, 35); !near(c, 0, 0, 255) {
		t.Errorf("bottom is %v, want blue", c)
	}
}

func TestDeriveKeepsICCProfile(t *testing.T) {
	t.Parallel()
	profile := bytes.Repeat([]byte("fake ICC profile "), 5000) // 85 KB: two APP2 segments
	jpg := withJPEGICC(makeJPEG(t, 64, 64), profile)
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(profile)
	zw.Close()
	pngWithICC := insertPNGChunk(makePNG(t, 64, 64), "iCCP", append([]byte("P3\x00\x00"), z.Bytes()...))
	tests := []struct {
		name   string
		file   []byte
		target Target
		read   func(io.ReaderAt, int64) []byte
	}{
		{"jpeg to jpeg", jpg, Target{MaxWidth: 32}, jpegICC},
		{"png to jpeg", pngWithICC, Target{MIME: MIMEJPEG}, jpegICC},
		{"png to png", pngWithICC, Target{MaxWidth: 32}, pngICC},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			store := newLocalStore(t)
			src := ingestBytes(t, store, tt.file)
			got, err := Derive(context.Background(), store, src, tt.target)
			if err != nil {
				t.Fatal(err)
			}
			out := openAll(t, store, got.SHA256)
			if icc := tt.read(bytes.NewReader(out), int64(len(out))); !bytes.Equal(icc, profile) {
				t.Errorf("profile is %d bytes after deriving, want the original %d", len(icc), len(profile))
			}
			if got.MIME == MIMEPNG {
				if _, err := png.Decode(bytes.NewReader(out)); err != nil {
					t.Errorf("derived PNG does not decode: %v", err)
				}
			}
		})
	}
}

func TestDeriveOtherSources(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("webp with alpha to jpeg", func(t *testing.T) {
		t.Parallel()
		store := newLocalStore(t)
		src := ingestBytes(t, store, readTestdata(t, "yellow_rose.lossy-with-alpha.webp"))
		got, err := Derive(ctx, store, src, Target{MIME: MIMEJPEG})
		if err != nil {
			t.Fatal(err)
		}
		if got.MIME != MIMEJPEG || got.Width != 400 || got.Height != 301 {
			t.Errorf("derived = %+v", got)
		}
	})
	t.Run("large png becomes jpeg when allowed", func(t *testing.T) {
		t.Parallel()
		store := newLocalStore(t)
		src := ingestBytes(t, store, encodePNG(t, photo(600, 400)))
		got, err := Derive(ctx, store, src, Target{MaxBytes: 150_000, AllowJPEG: true})
		if err != nil {
			t.Fatal(err)
		}
		if got.MIME != MIMEJPEG || got.Width != 600 || got.Size > 150_000 {
			t.Errorf("derived = %+v, want a full-size JPEG within 150 KB", got)
		}
	})
	t.Run("large png stays png when jpeg is not allowed", func(t *testing.T) {
		t.Parallel()
		store := newLocalStore(t)
		src := ingestBytes(t, store, encodePNG(t, photo(600, 400)))
		got, err := Derive(ctx, store, src, Target{MaxBytes: 300_000})
		if err != nil {
			t.Fatal(err)
		}
		if got.MIME != MIMEPNG || got.Size > 300_000 || got.Width >= 600 {
			t.Errorf("derived = %+v, want a smaller PNG within 300 KB", got)
		}
	})
	t.Run("animated gif refused", func(t *testing.T) {
		t.Parallel()
		store := newLocalStore(t)
		src := ingestBytes(t, store, makeGIF(t, 8, 8, 3))
		_, err := Derive(ctx, store, src, Target{MIME: MIMEJPEG})
		wantCode(t, err, CodeUnsupportedType, "animation")
	})
	t.Run("impossible cap", func(t *testing.T) {
		t.Parallel()
		store := newLocalStore(t)
		src := ingestBytes(t, store, encodeJPEG(t, noise(600, 600, 3), 95))
		_, err := Derive(ctx, store, src, Target{MaxBytes: 2000})
		wantCode(t, err, CodeTooLarge, "without visible loss")
	})
}

package media

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestSniff(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		head []byte
		want string
		ok   bool
	}{
		{"png", makePNG(t, 2, 2), MIMEPNG, true},
		{"jpeg", makeJPEG(t, 2, 2), MIMEJPEG, true},
		{"gif", makeGIF(t, 2, 2, 1), MIMEGIF, true},
		{"webp", webpLossy, MIMEWebP, true},
		{"mp4", makeMP4(t, mp4Spec{brand: "isom"}), MIMEMP4, true},
		{"mp4 mp42", makeMP4(t, mp4Spec{brand: "mp42"}), MIMEMP4, true},
		{"quicktime ftyp", makeMP4(t, mp4Spec{brand: "qt  "}), MIMEQuickTime, true},
		{"quicktime without ftyp", makeMP4(t, mp4Spec{}), MIMEQuickTime, true},
		{"heic", box("ftyp", []byte("heic"), be32(0), []byte("mif1heic")), "image/heic", false},
		{"avif", box("ftyp", []byte("avif"), be32(0), []byte("avifmif1")), "image/avif", false},
		{"m4a", box("ftyp", []byte("M4A "), be32(0), []byte("M4A isom")), "audio/mp4", false},
		{"3gp", box("ftyp", []byte("3gp4"), be32(0), []byte("3gp4")), "video/3gpp", false},
		{"html", []byte("<!DOCTYPE html><html><body>hi</body></html>"), "text/html", false},
		{"svg", []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>`), "image/svg+xml", false},
		{"webm", []byte{0x1a, 0x45, 0xdf, 0xa3, 1, 2, 3, 4}, "video/webm", false},
		{"pdf", []byte("%PDF-1.7\n"), "application/pdf", false},
		{"tiff", []byte("II*\x00\x08\x00\x00\x00"), "image/tiff", false},
		{"empty", nil, "an empty file", false},
		{"binary", []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, "unknown binary data", false},
		{"png extension lie", []byte("GIF89a....."), MIMEGIF, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			head := tt.head
			if len(head) > SniffLen {
				head = head[:SniffLen]
			}
			got, ok := Sniff(head)
			if got != tt.want || ok != tt.ok {
				t.Errorf("Sniff = %q, %v; want %q, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestProbe(t *testing.T) {
	t.Parallel()
	rotatedJPEG := withEXIFOrientation(makeJPEG(t, 40, 20), 6, false)
	tests := []struct {
		name string
		file []byte
		want Info
	}{
		{"png", makePNG(t, 30, 20), Info{MIME: MIMEPNG, Kind: KindImage, Width: 30, Height: 20, Frames: 1}},
		{"jpeg", makeJPEG(t, 30, 20), Info{MIME: MIMEJPEG, Kind: KindImage, Width: 30, Height: 20, Frames: 1, Orientation: 1}},
		{"jpeg rotated 90 (little-endian EXIF)", rotatedJPEG, Info{MIME: MIMEJPEG, Kind: KindImage, Width: 20, Height: 40, Frames: 1, Orientation: 6}},
		{"jpeg mirrored (big-endian EXIF)", withEXIFOrientation(makeJPEG(t, 40, 20), 2, true), Info{MIME: MIMEJPEG, Kind: KindImage, Width: 40, Height: 20, Frames: 1, Orientation: 2}},
		{"animated png", insertPNGChunk(makePNG(t, 30, 20), "acTL", append(be32(3), be32(0)...)), Info{MIME: MIMEPNG, Kind: KindImage, Width: 30, Height: 20, Frames: 3}},
		{"gif still", makeGIF(t, 12, 10, 1), Info{MIME: MIMEGIF, Kind: KindImage, Width: 12, Height: 10, Frames: 1}},
		{"gif animated", makeGIF(t, 12, 10, 7), Info{MIME: MIMEGIF, Kind: KindImage, Width: 12, Height: 10, Frames: 7}},
		{"webp lossy", webpLossy, Info{MIME: MIMEWebP, Kind: KindImage, Width: 1, Height: 1, Frames: 1}},
		{"webp lossless", webpLossless, Info{MIME: MIMEWebP, Kind: KindImage, Width: 1, Height: 1, Frames: 1}},
		{"webp alpha", webpAlpha, Info{MIME: MIMEWebP, Kind: KindImage, Width: 1, Height: 1, Frames: 1}},
		{"webp animated", webpAnimated1, Info{MIME: MIMEWebP, Kind: KindImage, Width: 1, Height: 1, Frames: 1}},
		{"webp photo", readTestdata(t, "blue-purple-pink.lossy.webp"), Info{MIME: MIMEWebP, Kind: KindImage, Width: 150, Height: 100, Frames: 1}},
		{"mp4 h264 30fps with AAC", makeMP4(t, mp4Spec{brand: "isom", audio: true}), Info{
			MIME: MIMEMP4, Kind: KindVideo, Width: 640, Height: 360, Frames: 60, Duration: 2 * time.Second, FPS: 30,
			VideoCodec: "avc1.64001f", AudioCodec: "mp4a.40.2"}},
		{"mp4 rotated portrait, moov at the end", makeMP4(t, mp4Spec{brand: "mp42", width: 1920, height: 1080, rotation: 90, moovLast: true, frames: 25, frameDelta: 1000, timescale: 25000, mdat: 1000}), Info{
			MIME: MIMEMP4, Kind: KindVideo, Width: 1080, Height: 1920, Frames: 25, Duration: time.Second, FPS: 25,
			VideoCodec: "avc1.64001f", Rotation: 90}},
		{"mp4 29.97 fps hevc", makeMP4(t, mp4Spec{brand: "isom", codec: "hvc1", timescale: 30000, frameDelta: 1001, frames: 300}), Info{
			MIME: MIMEMP4, Kind: KindVideo, Width: 640, Height: 360, Frames: 300, Duration: 10010 * time.Millisecond, FPS: 29.97,
			VideoCodec: "hvc1"}},
		{"quicktime", makeMP4(t, mp4Spec{brand: "qt  ", audio: true}), Info{
			MIME: MIMEQuickTime, Kind: KindVideo, Width: 640, Height: 360, Frames: 60, Duration: 2 * time.Second, FPS: 30,
			VideoCodec: "avc1.64001f", AudioCodec: "mp4a.40.2"}},
		{"quicktime without ftyp", makeMP4(t, mp4Spec{}), Info{
			MIME: MIMEQuickTime, Kind: KindVideo, Width: 640, Height: 360, Frames: 60, Duration: 2 * time.Second, FPS: 30,
			VideoCodec: "avc1.64001f"}},
		{"unknown video codec (ProRes)", makeMP4(t, mp4Spec{brand: "qt  ", codec: "apcn"}), Info{
			MIME: MIMEQuickTime, Kind: KindVideo, Width: 640, Height: 360, Frames: 60, Duration: 2 * time.Second, FPS: 30,
			VideoCodec: "apcn"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Probe(bytes.NewReader(tt.file), int64(len(tt.file)))
			if err != nil {
				t.Fatalf("Probe: %v", err)
			}
			want := tt.want
			want.Size = int64(len(tt.file))
			if diff := cmp.Diff(&want, got); diff != "" {
				t.Errorf("Probe mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestProbeErrors(t *testing.T) {
	t.Parallel()
	png := makePNG(t, 30, 20)
	mp4 := makeMP4(t, mp4Spec{brand: "isom"})
	gif := makeGIF(t, 4, 4, 2)
	tests := []struct {
		name     string
		file     []byte
		code     Code
		contains string
	}{
		{"html", []byte("<html><body>not found</body></html>"), CodeUnsupportedType, "found text/html"},
		{"empty", nil, CodeUnsupportedType, "found an empty file"},
		{"heic", box("ftyp", []byte("heic"), be32(0), []byte("mif1heic")), CodeUnsupportedType, "found image/heic"},
		{"audio only mp4", makeMP4(t, mp4Spec{brand: "isom", audioOnly: true}), CodeUnsupportedType, "audio only (mp4a.40.2)"},
		{"truncated png", png[:20], CodeMalformed, "not a valid PNG image"},
		{"png corrupt data", corruptIDAT(makePNG(t, 30, 20)), CodeMalformed, "corrupt IDAT chunk (checksum mismatch)"},
		{"png without IEND", makePNG(t, 30, 20)[:len(makePNG(t, 30, 20))-12], CodeMalformed, "no IEND chunk"},
		{"png header only", []byte("\x89PNG\r\n\x1a\n"), CodeMalformed, "not a valid PNG image"},
		{"truncated jpeg", []byte("\xff\xd8\xff\xe0\x00\x10JFIF"), CodeMalformed, "not a valid JPEG image"},
		{"gif without frames", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00\x3b"), CodeMalformed, "it has no frames"},
		{"gif bad block", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00\x99"), CodeMalformed, "unknown block"},
		{"gif truncated frame", gif[:len(gif)-20], CodeMalformed, "not a valid GIF image"},
		{"webp truncated", webpLossy[:14], CodeMalformed, "not a valid WebP image"},
		{"webp photo truncated", readTestdata(t, "blue-purple-pink.lossy.webp")[:2000], CodeMalformed, "the file is truncated"},
		{"mp4 truncated", mp4[:len(mp4)/2], CodeMalformed, "larger than its container"},
		{"mp4 ftyp only", box("ftyp", []byte("isom"), be32(0), []byte("isom")), CodeMalformed, "no movie header"},
		{"mp4 two moov", append(append([]byte{}, mp4...), box("moov")...), CodeMalformed, "more than one moov"},
		{"mp4 box smaller than header", append(box("ftyp", []byte("isom"), be32(0), []byte("isom")), 0, 0, 0, 4, 'm', 'o', 'o', 'v'), CodeMalformed, "larger than its container"},
		{"mp4 huge stts count", makeMP4WithBrokenStts(t), CodeMalformed, "time-to-sample table is larger than its box"},
		{"mp4 moov without tracks", append(box("ftyp", []byte("isom"), be32(0), []byte("isom")), box("moov")...), CodeUnsupportedType, "without a video track"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Probe(bytes.NewReader(tt.file), int64(len(tt.file)))
			if err == nil {
				t.Fatal("Probe succeeded, want an error")
			}
			if got := CodeOf(err); got != tt.code {
				t.Errorf("code = %q, want %q (error: %v)", got, tt.code, err)
			}
			if !strings.Contains(err.Error(), tt.contains) {
				t.Errorf("error %q does not contain %q", err, tt.contains)
			}
		})
	}
}

// makeMP4WithBrokenStts claims 2^31 entries in a time-to-sample table of a
// few bytes: the prober must refuse it rather than loop or allocate.
func makeMP4WithBrokenStts(t *testing.T) []byte {
	b := makeMP4(t, mp4Spec{brand: "isom"})
	i := bytes.Index(b, []byte("stts"))
	if i < 0 {
		t.Fatal("no stts")
	}
	copy(b[i+8:], be32(1<<31))
	return b
}

func TestGIFFramesWithoutTrailer(t *testing.T) {
	t.Parallel()
	g := makeGIF(t, 4, 4, 3)
	g = g[:len(g)-1] // drop the 0x3b trailer, as some encoders do
	info, err := Probe(bytes.NewReader(g), int64(len(g)))
	if err != nil {
		t.Fatal(err)
	}
	if info.Frames != 3 {
		t.Errorf("Frames = %d, want 3", info.Frames)
	}
}

func corruptIDAT(p []byte) []byte {
	p = append([]byte{}, p...)
	i := bytes.Index(p, []byte("IDAT"))
	p[i+6] ^= 0xff
	return p
}

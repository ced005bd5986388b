package media

// Builders for small valid (and deliberately broken) media files, so tests
// and fuzz seeds need no binary fixtures beyond two WebP files copied from
// golang.org/x/image's test data (Go's BSD licence).

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/color/palette"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"math/rand/v2"
	"os"
	"testing"
)

// Tiny WebP files (1×1) in each of the format's variants, as published by
// Modernizr for feature detection.
var (
	webpLossy     = mustB64("UklGRiIAAABXRUJQVlA4IBYAAAAwAQCdASoBAAEADsD+JaQAA3AAAAAA")
	webpLossless  = mustB64("UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==")
	webpAlpha     = mustB64("UklGRkoAAABXRUJQVlA4WAoAAAAQAAAAAAAAAAAAQUxQSAwAAAARBxAR/Q9ERP8DAABWUDggGAAAABQBAJ0BKgEAAQAAAP4AAA3AAP7mtQAAAA==")
	webpAnimated1 = mustB64("UklGRlIAAABXRUJQVlA4WAoAAAASAAAAAAAAAAAAQU5JTQYAAAD/////AABBTk1GJgAAAAAAAAAAAAAAAAAAAGQAAABWUDhMDQAAAC8AAAAQBxAREYiI/gcA")
)

func mustB64(s string) []byte {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// gradient is a smooth test picture; noise makes files that compress badly.
func gradient(w, h int, alpha bool) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			a := uint8(255)
			if alpha && x < w/2 {
				a = 0
			}
			img.SetNRGBA(x, y, color.NRGBA{uint8(x * 255 / max(w-1, 1)), uint8(y * 255 / max(h-1, 1)), 128, a})
		}
	}
	return img
}

func noise(w, h int, seed uint64) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	for i := range img.Pix {
		img.Pix[i] = uint8(r.Uint32())
	}
	for i := 3; i < len(img.Pix); i += 4 {
		img.Pix[i] = 255
	}
	return img
}

func encodePNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func makePNG(t testing.TB, w, h int) []byte { return encodePNG(t, gradient(w, h, false)) }

func encodeJPEG(t testing.TB, img image.Image, q int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: q}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func makeJPEG(t testing.TB, w, h int) []byte { return encodeJPEG(t, gradient(w, h, false), 90) }

// withEXIFOrientation inserts an APP1 Exif segment with one IFD0 entry.
func withEXIFOrientation(jpg []byte, o uint16, bigEndian bool) []byte {
	var tiff bytes.Buffer
	var bo binary.ByteOrder = binary.LittleEndian
	tiff.WriteString("II")
	if bigEndian {
		bo = binary.BigEndian
		tiff.Reset()
		tiff.WriteString("MM")
	}
	w16 := func(v uint16) { binary.Write(&tiff, bo, v) }
	w32 := func(v uint32) { binary.Write(&tiff, bo, v) }
	w16(42)
	w32(8)
	w16(1)      // entries
	w16(0x0112) // orientation
	w16(3)      // SHORT
	w32(1)
	w16(o)
	w16(0)
	w32(0) // next IFD
	payload := append([]byte("Exif\x00\x00"), tiff.Bytes()...)
	return insertSegment(jpg, 0xe1, payload)
}

func insertSegment(jpg []byte, marker byte, payload []byte) []byte {
	seg := []byte{0xff, marker, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(payload)+2))
	out := append([]byte{}, jpg[:2]...)
	out = append(out, seg...)
	out = append(out, payload...)
	return append(out, jpg[2:]...)
}

func makeGIF(t testing.TB, w, h, frames int) []byte {
	t.Helper()
	g := &gif.GIF{}
	for i := 0; i < frames; i++ {
		p := image.NewPaletted(image.Rect(0, 0, w, h), palette.Plan9)
		for j := range p.Pix {
			p.Pix[j] = uint8(i*7 + j)
		}
		g.Image = append(g.Image, p)
		g.Delay = append(g.Delay, 10)
	}
	var b bytes.Buffer
	if err := gif.EncodeAll(&b, g); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// MP4 building: each box is length, type, payload.

func box(typ string, parts ...[]byte) []byte {
	n := 8
	for _, p := range parts {
		n += len(p)
	}
	out := make([]byte, 8, n)
	binary.BigEndian.PutUint32(out, uint32(n))
	copy(out[4:], typ)
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func fullBox(typ string, version byte, flags uint32, parts ...[]byte) []byte {
	h := []byte{version, byte(flags >> 16), byte(flags >> 8), byte(flags)}
	return box(typ, append([][]byte{h}, parts...)...)
}

func be16(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }
func be32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
func zeros(n int) []byte   { return make([]byte, n) }

func matrix(rotation int) []byte {
	m := [9]int32{0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000}
	switch rotation {
	case 90:
		m[0], m[1], m[3], m[4] = 0, 0x10000, -0x10000, 0
	case 180:
		m[0], m[4] = -0x10000, -0x10000
	case 270:
		m[0], m[1], m[3], m[4] = 0, -0x10000, 0x10000, 0
	}
	var b []byte
	for _, v := range m {
		b = binary.BigEndian.AppendUint32(b, uint32(v))
	}
	return b
}

type mp4Spec struct {
	brand      string // major brand; "" for a QuickTime file without ftyp
	width      int
	height     int
	rotation   int
	timescale  uint32 // video media timescale
	frames     uint32
	frameDelta uint32
	codec      string // video sample entry type (default avc1)
	audio      bool
	audioOnly  bool
	mdat       int64 // mdat payload size
	moovLast   bool
}

func (s mp4Spec) withDefaults() mp4Spec {
	if s.width == 0 {
		s.width, s.height = 640, 360
	}
	if s.timescale == 0 {
		s.timescale = 15360
	}
	if s.frames == 0 {
		s.frames = 60
	}
	if s.frameDelta == 0 {
		s.frameDelta = 512 // 30 fps at 15360
	}
	if s.codec == "" {
		s.codec = "avc1"
	}
	return s
}

func (s mp4Spec) moov() []byte {
	const movieTimescale = 1000
	mediaDur := uint64(s.frames) * uint64(s.frameDelta)
	movieDur := uint32(mediaDur * movieTimescale / uint64(s.timescale))
	mvhd := fullBox("mvhd", 0, 0,
		be32(0), be32(0), be32(movieTimescale), be32(movieDur),
		be32(0x10000), be16(0x100), zeros(2), zeros(8), matrix(0), zeros(24), be32(3))
	var traks [][]byte
	if !s.audioOnly {
		traks = append(traks, s.videoTrak(movieDur, mediaDur))
	}
	if s.audio || s.audioOnly {
		traks = append(traks, s.audioTrak(movieDur))
	}
	return box("moov", append([][]byte{mvhd}, traks...)...)
}

func tkhd(id uint32, dur uint32, rotation, w, h int) []byte {
	return fullBox("tkhd", 0, 3,
		be32(0), be32(0), be32(id), zeros(4), be32(dur), zeros(8),
		be16(0), be16(0), be16(0), zeros(2), matrix(rotation), be32(uint32(w)<<16), be32(uint32(h)<<16))
}

func hdlr(handler, name string) []byte {
	return fullBox("hdlr", 0, 0, be32(0), []byte(handler), zeros(12), append([]byte(name), 0))
}

func dinf() []byte {
	return box("dinf", fullBox("dref", 0, 0, be32(1), fullBox("url ", 0, 1)))
}

func (s mp4Spec) videoTrak(movieDur uint32, mediaDur uint64) []byte {
	avcC := box("avcC", []byte{1, 0x64, 0x00, 0x1f, 0xff, 0xe1}, be16(4), []byte{0x67, 0x64, 0x00, 0x1f}, []byte{1}, be16(2), []byte{0x68, 0xee})
	var compressor [32]byte
	entry := box(s.codec,
		zeros(6), be16(1), zeros(2), zeros(2), zeros(12),
		be16(uint16(s.width)), be16(uint16(s.height)), be32(0x480000), be32(0x480000), zeros(4),
		be16(1), compressor[:], be16(0x18), be16(0xffff), avcC)
	stbl := box("stbl",
		fullBox("stsd", 0, 0, be32(1), entry),
		fullBox("stts", 0, 0, be32(1), be32(s.frames), be32(s.frameDelta)),
		fullBox("stsc", 0, 0, be32(1), be32(1), be32(s.frames), be32(1)),
		fullBox("stsz", 0, 0, be32(100), be32(s.frames)),
		fullBox("stco", 0, 0, be32(1), be32(48)),
	)
	minf := box("minf", fullBox("vmhd", 0, 1, zeros(8)), dinf(), stbl)
	mdia := box("mdia",
		fullBox("mdhd", 0, 0, be32(0), be32(0), be32(s.timescale), be32(uint32(mediaDur)), be16(0x55c4), be16(0)),
		hdlr("vide", "VideoHandler"), minf)
	return box("trak", tkhd(1, movieDur, s.rotation, s.width, s.height), mdia)
}

func (s mp4Spec) audioTrak(movieDur uint32) []byte {
	// ES_Descriptor > DecoderConfigDescriptor (AAC) > DecSpecificInfo
	// (AAC-LC, 44.1 kHz, stereo), SLConfigDescriptor.
	dsi := []byte{0x05, 0x02, 0x12, 0x10}
	dcd := append([]byte{0x04, byte(13 + len(dsi)), 0x40, 0x15, 0, 0, 0}, append(append(be32(128000), be32(128000)...), dsi...)...)
	sl := []byte{0x06, 0x01, 0x02}
	es := append([]byte{0x03, byte(3 + len(dcd) + len(sl)), 0, 2, 0}, append(dcd, sl...)...)
	esds := fullBox("esds", 0, 0, es)
	entry := box("mp4a", zeros(6), be16(1), zeros(8), be16(2), be16(16), zeros(4), be32(44100<<16), esds)
	stbl := box("stbl",
		fullBox("stsd", 0, 0, be32(1), entry),
		fullBox("stts", 0, 0, be32(1), be32(86), be32(1024)),
		fullBox("stsc", 0, 0, be32(1), be32(1), be32(86), be32(1)),
		fullBox("stsz", 0, 0, be32(10), be32(86)),
		fullBox("stco", 0, 0, be32(1), be32(48)),
	)
	minf := box("minf", fullBox("smhd", 0, 0, zeros(4)), dinf(), stbl)
	mdia := box("mdia",
		fullBox("mdhd", 0, 0, be32(0), be32(0), be32(44100), be32(86*1024), be16(0x55c4), be16(0)),
		hdlr("soun", "SoundHandler"), minf)
	return box("trak", tkhd(2, movieDur, 0, 0, 0), mdia)
}

func (s mp4Spec) ftyp() []byte {
	if s.brand == "" {
		return nil
	}
	compat := []byte(s.brand + "isom")
	if s.brand == "qt  " {
		compat = []byte("qt  ")
	}
	return box("ftyp", []byte(s.brand), be32(0x200), compat)
}

// writeMP4 writes the file to w, streaming the mdat payload (a repeating
// pattern) so even a large file needs no large buffer.
func writeMP4(w io.Writer, s mp4Spec) error {
	s = s.withDefaults()
	parts := [][]byte{s.ftyp()}
	if !s.moovLast {
		parts = append(parts, s.moov())
	}
	if s.brand == "" {
		parts = append(parts, box("wide"))
	}
	for _, p := range parts {
		if _, err := w.Write(p); err != nil {
			return err
		}
	}
	hdr := make([]byte, 16)
	binary.BigEndian.PutUint32(hdr, 1)
	copy(hdr[4:], "mdat")
	binary.BigEndian.PutUint64(hdr[8:], uint64(16+s.mdat))
	if _, err := w.Write(hdr); err != nil {
		return err
	}
	chunk := make([]byte, 64<<10)
	for i := range chunk {
		chunk[i] = byte(i * 31)
	}
	for left := s.mdat; left > 0; {
		n := min(left, int64(len(chunk)))
		if _, err := w.Write(chunk[:n]); err != nil {
			return err
		}
		left -= n
	}
	if s.moovLast {
		if _, err := w.Write(s.moov()); err != nil {
			return err
		}
	}
	return nil
}

func makeMP4(t testing.TB, s mp4Spec) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := writeMP4(&b, s); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// insertPNGChunk inserts a chunk right after IHDR, with a correct CRC.
func insertPNGChunk(p []byte, typ string, data []byte) []byte {
	const ihdrEnd = 8 + 8 + 13 + 4
	body := append([]byte(typ), data...)
	chunk := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	chunk = append(chunk, body...)
	chunk = binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(body))
	out := append([]byte{}, p[:ihdrEnd]...)
	out = append(out, chunk...)
	return append(out, p[ihdrEnd:]...)
}

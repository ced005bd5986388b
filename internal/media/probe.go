package media

import (
	"bufio"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"

	"golang.org/x/image/webp"

	"github.com/heraldhq/herald"
)

// Info is what a file's bytes are, as Probe reads them. It is the domain's
// herald.MediaInfo, so that a stored herald.Media carries it as it is.
type Info = herald.MediaInfo

// Probe decides the type of the size bytes in r from their content and reads
// their properties. It never decodes pixels or video samples, reads only what
// it needs and holds a bounded amount of memory whatever the input. The
// returned Info has no SHA256. Errors are *Error (CodeUnsupportedType or
// CodeMalformed) without URL.
func Probe(r io.ReaderAt, size int64) (*Info, error) {
	head := make([]byte, min(size, SniffLen))
	if _, err := r.ReadAt(head, 0); err != nil && !errors.Is(err, io.EOF) {
		return nil, errorf(CodeMalformed, err, "cannot read the file")
	}
	mimeType, ok := Sniff(head)
	if !ok {
		return nil, errorf(CodeUnsupportedType, nil, "not an allowed type: found %s (allowed: PNG, JPEG, GIF, WebP images and MP4, MOV videos)", mimeType)
	}
	var info *Info
	var err error
	if KindOf(mimeType) == KindVideo {
		info, err = probeMP4(r, size, mimeType)
	} else {
		info, err = probeImage(r, size, mimeType)
	}
	if err != nil {
		return nil, err
	}
	info.Size = size
	return info, nil
}

func probeImage(ra io.ReaderAt, size int64, mimeType string) (*Info, error) {
	sr := io.NewSectionReader(ra, 0, size)
	var cfg image.Config
	var err error
	switch mimeType {
	case MIMEPNG:
		cfg, err = png.DecodeConfig(sr)
	case MIMEJPEG:
		cfg, err = jpeg.DecodeConfig(sr)
	case MIMEGIF:
		cfg, err = gif.DecodeConfig(sr)
	case MIMEWebP:
		cfg, err = webp.DecodeConfig(sr)
	}
	if err != nil {
		return nil, errorf(CodeMalformed, err, "not a valid %s image: %v", formatName(mimeType), err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, errorf(CodeMalformed, nil, "not a valid %s image: it has no pixels", formatName(mimeType))
	}
	info := &Info{MIME: mimeType, Kind: KindImage, Width: cfg.Width, Height: cfg.Height, Frames: 1}
	switch mimeType {
	case MIMEPNG:
		n, err := pngFrames(io.NewSectionReader(ra, 0, size))
		if err != nil {
			return nil, err
		}
		info.Frames = n
	case MIMEGIF:
		n, err := gifFrames(io.NewSectionReader(ra, 0, size))
		if err != nil {
			return nil, err
		}
		info.Frames = n
	case MIMEWebP:
		n, err := webpFrames(ra, size)
		if err != nil {
			return nil, err
		}
		info.Frames = n
	case MIMEJPEG:
		info.Orientation = jpegOrientation(ra, size)
		if info.Orientation >= 5 {
			info.Width, info.Height = info.Height, info.Width
		}
	}
	return info, nil
}

func formatName(mimeType string) string {
	switch mimeType {
	case MIMEPNG:
		return "PNG"
	case MIMEJPEG:
		return "JPEG"
	case MIMEGIF:
		return "GIF"
	case MIMEWebP:
		return "WebP"
	case MIMEMP4:
		return "MP4"
	case MIMEQuickTime:
		return "QuickTime"
	}
	return mimeType
}

// gifFrames counts image descriptors by walking the block structure and
// skipping the compressed data, without decoding any pixel.
func gifFrames(r io.Reader) (int, error) {
	br := bufio.NewReaderSize(r, 4096)
	bad := func(err error, why string) (int, error) {
		return 0, errorf(CodeMalformed, err, "not a valid GIF image: %s", why)
	}
	var hdr [13]byte // signature, version, logical screen descriptor
	if _, err := io.ReadFull(br, hdr[:]); err != nil {
		return bad(err, "truncated header")
	}
	if hdr[10]&0x80 != 0 {
		if _, err := br.Discard(3 << (hdr[10]&7 + 1)); err != nil {
			return bad(err, "truncated color table")
		}
	}
	skipSubBlocks := func() error {
		for {
			n, err := br.ReadByte()
			if err != nil {
				return err
			}
			if n == 0 {
				return nil
			}
			if _, err := br.Discard(int(n)); err != nil {
				return err
			}
		}
	}
	frames := 0
	for {
		b, err := br.ReadByte()
		if err == io.EOF && frames > 0 {
			return frames, nil // a missing trailer is common and harmless
		}
		if err != nil {
			return bad(err, "truncated file")
		}
		switch b {
		case 0x21: // extension
			if _, err := br.ReadByte(); err != nil {
				return bad(err, "truncated extension")
			}
			if err := skipSubBlocks(); err != nil {
				if err == io.EOF && frames > 0 {
					return frames, nil
				}
				return bad(err, "truncated extension")
			}
		case 0x2c: // image descriptor
			var d [9]byte
			if _, err := io.ReadFull(br, d[:]); err != nil {
				return bad(err, "truncated frame")
			}
			if d[8]&0x80 != 0 {
				if _, err := br.Discard(3 << (d[8]&7 + 1)); err != nil {
					return bad(err, "truncated color table")
				}
			}
			if _, err := br.ReadByte(); err != nil { // LZW minimum code size
				return bad(err, "truncated frame")
			}
			if err := skipSubBlocks(); err != nil {
				return bad(err, "truncated frame")
			}
			frames++
		case 0x3b: // trailer
			if frames == 0 {
				return bad(nil, "it has no frames")
			}
			return frames, nil
		default:
			return bad(nil, "unknown block")
		}
	}
}

// pngFrames walks the chunk structure, checking every CRC, so a truncated or
// corrupt PNG is refused without decoding pixels; it returns the frame count
// of an animated PNG (acTL) or 1.
func pngFrames(r io.Reader) (int, error) {
	br := bufio.NewReaderSize(r, 32<<10)
	bad := func(err error, why string) (int, error) {
		return 0, errorf(CodeMalformed, err, "not a valid PNG image: %s", why)
	}
	if _, err := br.Discard(8); err != nil {
		return bad(err, "truncated signature")
	}
	frames := 1
	sawIDAT := false
	var h [8]byte
	buf := make([]byte, 32<<10)
	for i := 0; ; i++ {
		if _, err := io.ReadFull(br, h[:]); err != nil {
			return bad(err, "truncated file (no IEND chunk)")
		}
		n := int64(binary.BigEndian.Uint32(h[:4]))
		typ := string(h[4:8])
		if n > 1<<31-1 {
			return bad(nil, "chunk length out of range")
		}
		if i == 0 && typ != "IHDR" {
			return bad(nil, "the first chunk is not IHDR")
		}
		crc := crc32.NewIEEE()
		crc.Write(h[4:8])
		if typ == "acTL" && n >= 8 {
			var a [8]byte
			if _, err := io.ReadFull(br, a[:]); err != nil {
				return bad(err, "truncated chunk")
			}
			crc.Write(a[:])
			if f := binary.BigEndian.Uint32(a[:4]); f >= 1 && f <= 1<<20 {
				frames = int(f)
			}
			n -= 8
		}
		if _, err := io.CopyBuffer(crc, io.LimitReader(br, n), buf); err != nil {
			return bad(err, "truncated chunk")
		}
		var c [4]byte
		if _, err := io.ReadFull(br, c[:]); err != nil {
			return bad(err, "truncated chunk")
		}
		if binary.BigEndian.Uint32(c[:]) != crc.Sum32() {
			return bad(nil, "corrupt "+printable(h[4:8])+" chunk (checksum mismatch)")
		}
		switch typ {
		case "IDAT":
			sawIDAT = true
		case "IEND":
			if !sawIDAT {
				return bad(nil, "no image data")
			}
			return frames, nil
		}
	}
}

// webpFrames counts ANMF chunks of an animated WebP (1 for a still one).
func webpFrames(ra io.ReaderAt, size int64) (int, error) {
	var h [12]byte
	if _, err := ra.ReadAt(h[:], 0); err != nil {
		return 0, errorf(CodeMalformed, err, "not a valid WebP image: truncated header")
	}
	end := 8 + int64(binary.LittleEndian.Uint32(h[4:8]))
	if end > size {
		return 0, errorf(CodeMalformed, nil, "not a valid WebP image: the file is truncated")
	}
	animated := false
	frames := 0
	var c [9]byte
	for off, n := int64(12), 0; end-off >= 8; n++ {
		if n >= 1<<20 {
			return 0, errorf(CodeMalformed, nil, "not a valid WebP image: too many chunks")
		}
		if _, err := ra.ReadAt(c[:8], off); err != nil {
			return 0, errorf(CodeMalformed, err, "not a valid WebP image: truncated chunk")
		}
		csize := int64(binary.LittleEndian.Uint32(c[4:8]))
		switch string(c[0:4]) {
		case "VP8X":
			if csize < 1 {
				return 0, errorf(CodeMalformed, nil, "not a valid WebP image: bad VP8X chunk")
			}
			if _, err := ra.ReadAt(c[8:9], off+8); err != nil {
				return 0, errorf(CodeMalformed, err, "not a valid WebP image: truncated chunk")
			}
			animated = c[8]&0x02 != 0
		case "ANMF":
			frames++
		}
		off += 8 + csize + csize&1
	}
	if !animated {
		return 1, nil
	}
	if frames == 0 {
		return 0, errorf(CodeMalformed, nil, "not a valid WebP image: animated but without frames")
	}
	return frames, nil
}

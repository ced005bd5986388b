package media

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"

	"golang.org/x/image/draw"
	"golang.org/x/image/webp"
)

// Target is what a derived copy must meet. Zero fields are unconstrained.
type Target struct {
	// MIME is the output type, MIMEJPEG or MIMEPNG. Empty keeps a JPEG or
	// PNG source's type (and turns other sources into JPEG).
	MIME string
	// MaxBytes caps the output's size.
	MaxBytes int64
	// MaxWidth and MaxHeight cap the output's displayed size; the image is
	// scaled down (never up) to fit, keeping its shape.
	MaxWidth  int
	MaxHeight int
	// AllowJPEG lets Derive turn a PNG into a JPEG when MIME is empty and the
	// PNG cannot meet MaxBytes at the largest allowed size: a high-quality
	// JPEG keeps more of the picture than a much smaller PNG.
	AllowJPEG bool
}

// jpegQualities are tried in order before the image is made smaller; 85 and
// above shows no visible loss on photographs.
var jpegQualities = []int{92, 88, 85}

// minDeriveSide is the smallest side Derive shrinks to before giving up.
const minDeriveSide = 256

// Derive makes a copy of the stored image src that meets t, stores it and
// returns its Info; the original stays stored. It applies the JPEG's EXIF
// orientation (the copy carries no EXIF), flattens transparency onto white
// for JPEG output, keeps the ICC colour profile, scales with Catmull-Rom, and
// lowers JPEG quality only to 85 before it shrinks the image further.
//
// Memory is proportional to the image's pixels (Ingest caps them with
// Limits.MaxPixels), not to the file's size.
func Derive(ctx context.Context, store Store, src Info, t Target) (*Info, error) {
	if src.Kind != KindImage {
		return nil, errorf(CodeUnsupportedType, nil, "only images can be converted")
	}
	if src.Animated() {
		return nil, errorf(CodeUnsupportedType, nil, "an animated image cannot be converted without losing its animation")
	}
	if src.Pixels() > DefaultMaxPixels*2 {
		return nil, errorf(CodeTooLarge, nil, "too large to convert: %d×%d pixels", src.Width, src.Height)
	}
	outMIME := t.MIME
	switch outMIME {
	case "":
		outMIME = src.MIME
		if outMIME != MIMEJPEG && outMIME != MIMEPNG {
			outMIME = MIMEJPEG
		}
	case MIMEJPEG, MIMEPNG:
	default:
		return nil, fmt.Errorf("media: cannot encode %s", outMIME)
	}

	img, icc, err := decodeStored(ctx, store, src)
	if err != nil {
		return nil, err
	}
	if src.MIME == MIMEJPEG && src.Orientation > 1 {
		img = orient(img, src.Orientation)
	}
	b := img.Bounds()
	w, h := fit(b.Dx(), b.Dy(), t.MaxWidth, t.MaxHeight)
	var out []byte
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		scaled := img
		if w != b.Dx() || h != b.Dy() {
			dst := image.NewRGBA(image.Rect(0, 0, w, h))
			draw.CatmullRom.Scale(dst, dst.Bounds(), img, b, draw.Src, nil)
			scaled = dst
		}
		var ok bool
		out, ok, err = encodeWithin(scaled, outMIME, t.MaxBytes, icc)
		if err != nil {
			return nil, err
		}
		if ok {
			break
		}
		if outMIME == MIMEPNG && t.MIME == "" && t.AllowJPEG {
			outMIME = MIMEJPEG // retry at the same size as a JPEG
			continue
		}
		nw, nh := w*85/100, h*85/100
		if nw < minDeriveSide && nh < minDeriveSide {
			return nil, errorf(CodeTooLarge, nil, "cannot make the image fit in %s without visible loss", formatBytes(t.MaxBytes))
		}
		w, h = max(nw, 1), max(nh, 1)
	}
	bi, err := store.Put(ctx, bytes.NewReader(out))
	if err != nil {
		return nil, err
	}
	info, err := Probe(bytes.NewReader(out), int64(len(out)))
	if err != nil {
		return nil, fmt.Errorf("media: derived image does not probe: %w", err)
	}
	info.SHA256 = bi.Key
	return info, nil
}

// fit scales w×h down to fit maxW×maxH (0: unbounded), keeping the shape.
func fit(w, h, maxW, maxH int) (int, int) {
	scale := 1.0
	if maxW > 0 && w > maxW {
		scale = min(scale, float64(maxW)/float64(w))
	}
	if maxH > 0 && h > maxH {
		scale = min(scale, float64(maxH)/float64(h))
	}
	if scale == 1 {
		return w, h
	}
	nw, nh := int(float64(w)*scale), int(float64(h)*scale)
	return max(nw, 1), max(nh, 1)
}

// decodeStored decodes a stored image and reads its ICC profile.
func decodeStored(ctx context.Context, store Store, src Info) (image.Image, []byte, error) {
	rc, _, err := store.Open(ctx, src.SHA256)
	if err != nil {
		return nil, nil, err
	}
	defer rc.Close()
	var icc []byte
	if ra, ok := rc.(io.ReaderAt); ok {
		switch src.MIME {
		case MIMEJPEG:
			icc = jpegICC(ra, src.Size)
		case MIMEPNG:
			icc = pngICC(ra, src.Size)
		}
	}
	br := bufio.NewReaderSize(rc, 64<<10)
	var img image.Image
	switch src.MIME {
	case MIMEPNG:
		img, err = png.Decode(br)
	case MIMEJPEG:
		img, err = jpeg.Decode(br)
	case MIMEGIF:
		img, err = gif.Decode(br)
	case MIMEWebP:
		img, err = webp.Decode(br)
	default:
		return nil, nil, errorf(CodeUnsupportedType, nil, "cannot convert %s", src.MIME)
	}
	if err != nil {
		return nil, nil, errorf(CodeMalformed, err, "cannot decode the %s image: %v", formatName(src.MIME), err)
	}
	return img, icc, nil
}

// encodeWithin encodes img as mimeType, trying JPEG qualities from high to
// low, and reports whether the result fits maxBytes.
func encodeWithin(img image.Image, mimeType string, maxBytes int64, icc []byte) ([]byte, bool, error) {
	var buf bytes.Buffer
	if mimeType == MIMEPNG {
		enc := png.Encoder{CompressionLevel: png.BestCompression}
		if err := enc.Encode(&buf, img); err != nil {
			return nil, false, fmt.Errorf("media: encode PNG: %w", err)
		}
		out := withPNGICC(buf.Bytes(), icc)
		return out, maxBytes <= 0 || int64(len(out)) <= maxBytes, nil
	}
	flat := flatten(img)
	var out []byte
	for _, q := range jpegQualities {
		buf.Reset()
		if err := jpeg.Encode(&buf, flat, &jpeg.Options{Quality: q}); err != nil {
			return nil, false, fmt.Errorf("media: encode JPEG: %w", err)
		}
		out = withJPEGICC(buf.Bytes(), icc)
		if maxBytes <= 0 || int64(len(out)) <= maxBytes {
			return out, true, nil
		}
	}
	return out, false, nil
}

// flatten draws img over white, so transparent areas look as they do on a
// light page instead of turning black.
func flatten(img image.Image) image.Image {
	if o, ok := img.(interface{ Opaque() bool }); ok && o.Opaque() {
		return img
	}
	b := img.Bounds()
	dst := image.NewRGBA(b)
	draw.Draw(dst, b, image.NewUniform(color.White), image.Point{}, draw.Src)
	draw.Draw(dst, b, img, b.Min, draw.Over)
	return dst
}

// orient applies an EXIF orientation (2-8) to the pixels.
func orient(img image.Image, o int) image.Image {
	b := img.Bounds()
	src := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(src, src.Bounds(), img, b.Min, draw.Src)
	w, h := b.Dx(), b.Dy()
	dw, dh := w, h
	if o >= 5 {
		dw, dh = h, w
	}
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var dx, dy int
			switch o {
			case 2: // mirrored horizontally
				dx, dy = w-1-x, y
			case 3: // rotated 180
				dx, dy = w-1-x, h-1-y
			case 4: // mirrored vertically
				dx, dy = x, h-1-y
			case 5: // transposed
				dx, dy = y, x
			case 6: // rotated 90 clockwise
				dx, dy = h-1-y, x
			case 7: // transversed
				dx, dy = h-1-y, w-1-x
			case 8: // rotated 90 counter-clockwise
				dx, dy = y, w-1-x
			default:
				return img
			}
			si := src.PixOffset(x, y)
			di := dst.PixOffset(dx, dy)
			copy(dst.Pix[di:di+4], src.Pix[si:si+4])
		}
	}
	return dst
}

// withJPEGICC inserts an ICC profile as APP2 segments right after SOI.
func withJPEGICC(jpg, icc []byte) []byte {
	if len(icc) == 0 || len(jpg) < 2 {
		return jpg
	}
	const chunk = 65519 // 65535 - 2 (length) - 12 (signature) - 2 (seq, count)
	count := (len(icc) + chunk - 1) / chunk
	if count > 255 {
		return jpg
	}
	var out bytes.Buffer
	out.Write(jpg[:2])
	for i := 0; i < count; i++ {
		part := icc[i*chunk : min((i+1)*chunk, len(icc))]
		out.Write([]byte{0xff, 0xe2})
		binary.Write(&out, binary.BigEndian, uint16(2+12+2+len(part)))
		out.WriteString("ICC_PROFILE\x00")
		out.Write([]byte{byte(i + 1), byte(count)})
		out.Write(part)
	}
	out.Write(jpg[2:])
	return out.Bytes()
}

// pngICC returns the decompressed iCCP profile of a PNG, or nil.
func pngICC(ra io.ReaderAt, size int64) []byte {
	off := int64(8)
	var h [8]byte
	for i := 0; i < 64 && off+12 <= size; i++ {
		if _, err := ra.ReadAt(h[:], off); err != nil {
			return nil
		}
		n := int64(binary.BigEndian.Uint32(h[:4]))
		typ := string(h[4:8])
		if typ == "IDAT" || typ == "IEND" || n > 4<<20 || off+12+n > size {
			return nil
		}
		if typ == "iCCP" {
			data := make([]byte, n)
			if _, err := ra.ReadAt(data, off+8); err != nil {
				return nil
			}
			nul := bytes.IndexByte(data, 0)
			if nul < 0 || nul+2 > len(data) || data[nul+1] != 0 {
				return nil
			}
			zr, err := zlib.NewReader(bytes.NewReader(data[nul+2:]))
			if err != nil {
				return nil
			}
			prof, err := io.ReadAll(io.LimitReader(zr, 4<<20+1))
			if err != nil || len(prof) > 4<<20 {
				return nil
			}
			return prof
		}
		off += 12 + n
	}
	return nil
}

// withPNGICC inserts an iCCP chunk after IHDR.
func withPNGICC(p, icc []byte) []byte {
	const ihdrEnd = 8 + 8 + 13 + 4
	if len(icc) == 0 || len(p) < ihdrEnd {
		return p
	}
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(icc)
	if err := zw.Close(); err != nil {
		return p
	}
	data := append([]byte("ICC Profile\x00\x00"), z.Bytes()...)
	var chunk bytes.Buffer
	binary.Write(&chunk, binary.BigEndian, uint32(len(data)))
	body := append([]byte("iCCP"), data...)
	chunk.Write(body)
	binary.Write(&chunk, binary.BigEndian, crc32.ChecksumIEEE(body))
	out := make([]byte, 0, len(p)+chunk.Len())
	out = append(out, p[:ihdrEnd]...)
	out = append(out, chunk.Bytes()...)
	return append(out, p[ihdrEnd:]...)
}

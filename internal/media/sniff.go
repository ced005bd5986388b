package media

import (
	"bytes"
	"encoding/binary"
	"mime"
	"net/http"
	"strings"
)

// The accepted types.
const (
	MIMEPNG       = "image/png"
	MIMEJPEG      = "image/jpeg"
	MIMEGIF       = "image/gif"
	MIMEWebP      = "image/webp"
	MIMEMP4       = "video/mp4"
	MIMEQuickTime = "video/quicktime"
)

// Kinds of media.
const (
	KindImage = "image"
	KindVideo = "video"
)

// SniffLen is how many leading bytes Sniff wants to see.
const SniffLen = 512

// KindOf returns KindImage or KindVideo for an accepted MIME type, "" otherwise.
func KindOf(mimeType string) string {
	switch mimeType {
	case MIMEPNG, MIMEJPEG, MIMEGIF, MIMEWebP:
		return KindImage
	case MIMEMP4, MIMEQuickTime:
		return KindVideo
	}
	return ""
}

// Sniff decides a file's type from its first bytes (SniffLen is enough),
// never from a name or a Content-Type header. It returns one of the accepted
// MIME types and true, or a description of what was found ("text/html",
// "image/heic", "unknown binary data") and false.
func Sniff(head []byte) (string, bool) {
	switch {
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return MIMEPNG, true
	case bytes.HasPrefix(head, []byte("\xff\xd8\xff")):
		return MIMEJPEG, true
	case bytes.HasPrefix(head, []byte("GIF87a")), bytes.HasPrefix(head, []byte("GIF89a")):
		return MIMEGIF, true
	case len(head) >= 12 && string(head[0:4]) == "RIFF" && string(head[8:12]) == "WEBP":
		return MIMEWebP, true
	}
	if len(head) >= 12 && string(head[4:8]) == "ftyp" {
		return sniffFtyp(head)
	}
	if isQuickTimeStart(head) {
		return MIMEQuickTime, true
	}
	return describe(head), false
}

// sniffFtyp reads the ISO base media file type box: its brands tell MP4 and
// QuickTime video apart from HEIF/AVIF images and audio-only files, which
// share the container.
func sniffFtyp(head []byte) (string, bool) {
	size := int(binary.BigEndian.Uint32(head[0:4]))
	if size < 16 && size != 0 {
		return "a damaged MP4 file", false
	}
	end := len(head)
	if size >= 16 && size < end {
		end = size
	}
	brands := []string{string(head[8:12])}
	for i := 16; i+4 <= end; i += 4 {
		brands = append(brands, string(head[i:i+4]))
	}
	major := brands[0]
	switch major {
	case "qt  ":
		return MIMEQuickTime, true
	case "heic", "heix", "heim", "heis", "hevc", "hevx", "mif1", "msf1", "mif2":
		return "image/heic", false
	case "avif", "avis":
		return "image/avif", false
	case "M4A ", "M4B ", "M4P ", "F4A ", "F4B ":
		return "audio/mp4", false
	case "crx ":
		return "image/x-canon-cr3", false
	case "jp2 ", "jpx ", "jpm ", "mjp2":
		return "image/jp2", false
	}
	if strings.HasPrefix(major, "3gp") || strings.HasPrefix(major, "3g2") {
		return "video/3gpp", false
	}
	// Every other brand (isom, iso2-9, mp41, mp42, avc1, dash, M4V, ...) is
	// an MP4 file; Probe then insists on a video track.
	return MIMEMP4, true
}

// isQuickTimeStart recognises classic QuickTime files, which may start
// without an ftyp box.
func isQuickTimeStart(head []byte) bool {
	if len(head) < 8 {
		return false
	}
	size := binary.BigEndian.Uint32(head[0:4])
	switch string(head[4:8]) {
	case "moov", "mdat", "wide", "free", "skip", "pnot":
		return size == 1 || size >= 8
	}
	return false
}

// describe names unaccepted content for error messages.
func describe(head []byte) string {
	if len(head) == 0 {
		return "an empty file"
	}
	switch {
	case len(head) >= 4 && bytes.Equal(head[:4], []byte{0x1a, 0x45, 0xdf, 0xa3}):
		return "video/webm"
	case bytes.HasPrefix(head, []byte("II*\x00")), bytes.HasPrefix(head, []byte("MM\x00*")):
		return "image/tiff"
	case bytes.HasPrefix(head, []byte("BM")):
		return "image/bmp"
	case bytes.HasPrefix(head, []byte("%PDF-")):
		return "application/pdf"
	case bytes.Contains(head, []byte("<svg")):
		return "image/svg+xml"
	}
	ct := http.DetectContentType(head)
	if t, _, err := mime.ParseMediaType(ct); err == nil {
		ct = t
	}
	if ct == "application/octet-stream" {
		return "unknown binary data"
	}
	return ct
}

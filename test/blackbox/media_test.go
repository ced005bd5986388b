package blackbox

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/heraldhq/herald/client"
)

// mediaBase is the base URL of the media files posts carry, served on
// loopback by TestMain: Herald downloads media when a post is created, and
// this machine reaches no other host. Servers started by startServer allow
// private addresses for that reason (unless denyPrivate).
var mediaBase string

// Media files served under mediaBase.
var mediaFiles = map[string]struct {
	contentType string
	body        []byte
}{
	"/a.png":    {"image/png", pngImage()},
	"/b.jpg":    {"image/jpeg", jpegImage()},
	"/c.gif":    {"image/gif", gifImage()},
	"/v.mp4":    {"video/mp4", mp4Video()},
	"/text.png": {"image/png", []byte("this is not an image at all")},
}

// startMediaServer serves mediaFiles; other paths are 404.
func startMediaServer() *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, ok := mediaFiles[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", f.contentType)
		w.Write(f.body)
	}))
	mediaBase = srv.URL
	return srv
}

func picture() image.Image {
	img := image.NewRGBA(image.Rect(0, 0, 320, 320))
	for x := range 320 {
		for y := range 320 {
			img.Set(x, y, color.RGBA{R: uint8(x), G: uint8(y), B: 200, A: 255})
		}
	}
	return img
}

func pngImage() []byte {
	var b bytes.Buffer
	png.Encode(&b, picture())
	return b.Bytes()
}

func jpegImage() []byte {
	var b bytes.Buffer
	jpeg.Encode(&b, picture(), nil)
	return b.Bytes()
}

func gifImage() []byte {
	var b bytes.Buffer
	gif.Encode(&b, picture(), nil)
	return b.Bytes()
}

// mp4Video is a structurally valid MP4 (ftyp, moov with one 640×360 H.264
// track of 60 frames at 30 fps, mdat) whose samples are filler: enough for
// Herald's probe, which reads the boxes, not the pictures.
func mp4Video() []byte {
	const (
		timescale  = 15360
		frames     = 60
		frameDelta = 512
		width      = 640
		height     = 360
		movieScale = 1000
	)
	mediaDur := uint32(frames * frameDelta)
	movieDur := mediaDur * movieScale / timescale
	identity := []uint32{0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000}
	var matrix []byte
	for _, v := range identity {
		matrix = binary.BigEndian.AppendUint32(matrix, v)
	}
	mvhd := fullBox("mvhd", 0, 0, be32(0), be32(0), be32(movieScale), be32(movieDur),
		be32(0x10000), be16(0x100), zeros(10), matrix, zeros(24), be32(2))
	tkhd := fullBox("tkhd", 0, 3, be32(0), be32(0), be32(1), zeros(4), be32(movieDur), zeros(8),
		be16(0), be16(0), be16(0), zeros(2), matrix, be32(width<<16), be32(height<<16))
	avcC := box("avcC", []byte{1, 0x64, 0x00, 0x1f, 0xff, 0xe1}, be16(4), []byte{0x67, 0x64, 0x00, 0x1f}, []byte{1}, be16(2), []byte{0x68, 0xee})
	entry := box("avc1", zeros(6), be16(1), zeros(16), be16(width), be16(height), be32(0x480000), be32(0x480000), zeros(4),
		be16(1), zeros(32), be16(0x18), be16(0xffff), avcC)
	stbl := box("stbl",
		fullBox("stsd", 0, 0, be32(1), entry),
		fullBox("stts", 0, 0, be32(1), be32(frames), be32(frameDelta)),
		fullBox("stsc", 0, 0, be32(1), be32(1), be32(frames), be32(1)),
		fullBox("stsz", 0, 0, be32(100), be32(frames)),
		fullBox("stco", 0, 0, be32(1), be32(48)),
	)
	dinf := box("dinf", fullBox("dref", 0, 0, be32(1), fullBox("url ", 0, 1)))
	minf := box("minf", fullBox("vmhd", 0, 1, zeros(8)), dinf, stbl)
	mdia := box("mdia",
		fullBox("mdhd", 0, 0, be32(0), be32(0), be32(timescale), be32(mediaDur), be16(0x55c4), be16(0)),
		fullBox("hdlr", 0, 0, be32(0), []byte("vide"), zeros(12), []byte("VideoHandler\x00")), minf)
	moov := box("moov", mvhd, box("trak", tkhd, mdia))
	ftyp := box("ftyp", []byte("isom"), be32(0x200), []byte("isomavc1mp41"))
	mdat := box("mdat", bytes.Repeat([]byte{0, 0, 0, 96, 0x65}, frames*20))
	return bytes.Join([][]byte{ftyp, moov, mdat}, nil)
}

// box is an MP4 box: length, type, payload.
func box(typ string, parts ...[]byte) []byte {
	body := bytes.Join(parts, nil)
	return append(append(be32(uint32(8+len(body))), typ...), body...)
}

func fullBox(typ string, version byte, flags uint32, parts ...[]byte) []byte {
	return box(typ, append([][]byte{{version, byte(flags >> 16), byte(flags >> 8), byte(flags)}}, parts...)...)
}

func be16(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }
func be32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
func zeros(n int) []byte   { return make([]byte, n) }

// TestMediaPrivateAddresses checks that by default Herald refuses to fetch
// media from loopback and private addresses (the flag the other tests set
// is for development and tests only).
func TestMediaPrivateAddresses(t *testing.T) {
	t.Parallel()
	s := startServer(t, backends[0], serverOptions{denyPrivate: true})
	// Only loopback addresses: a broken policy must not send anything
	// anywhere else.
	for _, u := range []string{mediaBase + "/a.png", "http://127.0.0.1:1/a.png", "http://[::1]:1/a.png", "http://localhost:1/a.png"} {
		a := s.raw(t, "POST", "/post?workspaceId="+s.adminWorkspace, s.adminKey, `{"mediaUrls":["`+u+`"]}`)
		wantStatus(t, "media at "+u, a, http.StatusBadRequest, "mediaUrls[0]")
	}
	if ps := check(s.admin(t).ListPosts(t.Context(), s.adminWorkspace, client.ListPostsOptions{}))(t); len(ps) != 0 {
		t.Errorf("posts with refused media were stored: %d", len(ps))
	}
}

package media

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"time"

	mp4 "github.com/abema/go-mp4"
)

// The MP4 prober walks the box tree itself, descending only into the
// containers it needs and never keeping more than one box header at a time,
// so a file of millions of tiny boxes or a huge sample table costs time but
// not memory. It hands the small fixed-layout boxes (mvhd, tkhd, mdhd, hdlr,
// sample entries, avcC, esds) to github.com/abema/go-mp4, bounded to the box
// by a SectionReader.

const (
	maxTopLevelBoxes = 100_000 // fragmented files have a moof and mdat per fragment
	maxChildBoxes    = 4096
	maxParsedBox     = 1 << 20 // largest box handed to go-mp4's unmarshaller
	maxSttsEntries   = 1 << 26 // entries read from a time-to-sample table
)

type mp4Box struct {
	typ        string
	off, size  int64 // whole box
	payloadOff int64
}

func (b mp4Box) payloadSize() int64 { return b.off + b.size - b.payloadOff }

// walkBoxes calls fn for each box in [start, end).
func walkBoxes(ra io.ReaderAt, start, end int64, limit int, fn func(mp4Box) error) error {
	var h [16]byte
	n := 0
	for off := start; end-off >= 8; {
		if n++; n > limit {
			return errorf(CodeMalformed, nil, "not a valid video: too many boxes in the MP4 container")
		}
		if _, err := ra.ReadAt(h[:8], off); err != nil {
			return errorf(CodeMalformed, err, "not a valid video: truncated MP4 box header")
		}
		size := int64(binary.BigEndian.Uint32(h[0:4]))
		hdr := int64(8)
		switch size {
		case 0: // extends to the end
			size = end - off
		case 1: // 64-bit size follows
			if end-off < 16 {
				return errorf(CodeMalformed, nil, "not a valid video: truncated MP4 box header")
			}
			if _, err := ra.ReadAt(h[8:16], off+8); err != nil {
				return errorf(CodeMalformed, err, "not a valid video: truncated MP4 box header")
			}
			u := binary.BigEndian.Uint64(h[8:16])
			if u > math.MaxInt64 {
				return errorf(CodeMalformed, nil, "not a valid video: MP4 box size out of range")
			}
			size, hdr = int64(u), 16
		}
		if size < hdr || size > end-off {
			return errorf(CodeMalformed, nil, "not a valid video: the MP4 box %q is larger than its container (the file may be truncated)", printable(h[4:8]))
		}
		b := mp4Box{typ: string(h[4:8]), off: off, size: size, payloadOff: off + hdr}
		if err := fn(b); err != nil {
			return err
		}
		off += size
	}
	return nil
}

func printable(b []byte) string {
	out := make([]byte, len(b))
	for i, c := range b {
		if c < 0x20 || c > 0x7e {
			c = '?'
		}
		out[i] = c
	}
	return string(out)
}

// unmarshal parses one small box with go-mp4.
func unmarshal(ra io.ReaderAt, b mp4Box, dst mp4.IBox, ctx mp4.Context) (uint64, error) {
	if b.payloadSize() > maxParsedBox {
		return 0, errorf(CodeMalformed, nil, "not a valid video: the MP4 box %q is too large", printable([]byte(b.typ)))
	}
	sr := io.NewSectionReader(ra, b.payloadOff, b.payloadSize())
	n, err := mp4.Unmarshal(sr, uint64(b.payloadSize()), dst, ctx)
	if err != nil {
		return 0, errorf(CodeMalformed, err, "not a valid video: cannot read the MP4 box %q", printable([]byte(b.typ)))
	}
	return n, nil
}

type mp4Track struct {
	handler       string
	width, height float64 // tkhd presentation size
	rotation      int
	timescale     uint32
	duration      uint64
	codec         string
	entryW        int
	entryH        int
	samples       uint64
	sampleTime    uint64 // sum of sample durations in timescale units
	sampleEntries int
}

type mp4Prober struct {
	ra        io.ReaderAt
	ctx       mp4.Context
	timescale uint32
	duration  uint64
	fragDur   uint64
	tracks    []*mp4Track
}

// probeMP4 reads duration, dimensions, frame rate and codecs of an MP4 or
// QuickTime file.
func probeMP4(ra io.ReaderAt, size int64, mimeType string) (*Info, error) {
	p := &mp4Prober{ra: ra}
	p.ctx.IsQuickTimeCompatible = mimeType == MIMEQuickTime
	sawMoov := false
	err := walkBoxes(ra, 0, size, maxTopLevelBoxes, func(b mp4Box) error {
		switch b.typ {
		case "ftyp":
			var ftyp mp4.Ftyp
			if _, err := unmarshal(ra, b, &ftyp, mp4.Context{}); err != nil {
				return err
			}
			if ftyp.HasCompatibleBrand(mp4.BrandQT()) || string(ftyp.MajorBrand[:]) == "qt  " {
				p.ctx.IsQuickTimeCompatible = true
			}
		case "moov":
			if sawMoov {
				return errorf(CodeMalformed, nil, "not a valid video: more than one moov box")
			}
			sawMoov = true
			return walkBoxes(ra, b.payloadOff, b.off+b.size, maxChildBoxes, p.moov)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !sawMoov {
		return nil, errorf(CodeMalformed, nil, "not a valid video: no movie header (moov box); the file may be truncated")
	}
	var video, audio *mp4Track
	for _, t := range p.tracks {
		if t.codec == "" {
			continue
		}
		switch {
		case t.handler == "vide" && video == nil:
			video = t
		case t.handler == "soun" && audio == nil:
			audio = t
		}
	}
	if video == nil {
		found := "an MP4 file without a video track"
		if audio != nil {
			found = "audio only (" + audio.codec + ")"
		}
		return nil, errorf(CodeUnsupportedType, nil, "not an allowed type: found %s", found)
	}
	info := &Info{MIME: mimeType, Kind: KindVideo, VideoCodec: video.codec, Rotation: video.rotation}
	if audio != nil {
		info.AudioCodec = audio.codec
	}
	w, h := int(math.Round(video.width)), int(math.Round(video.height))
	if w <= 0 || h <= 0 {
		w, h = video.entryW, video.entryH
		if video.rotation == 90 || video.rotation == 270 {
			w, h = h, w
		}
	} else if video.rotation == 90 || video.rotation == 270 {
		w, h = h, w
	}
	info.Width, info.Height = w, h
	switch {
	case p.duration > 0 && p.timescale > 0:
		info.Duration = ticks(p.duration, p.timescale)
	case p.fragDur > 0 && p.timescale > 0:
		info.Duration = ticks(p.fragDur, p.timescale)
	case video.duration > 0 && video.timescale > 0:
		info.Duration = ticks(video.duration, video.timescale)
	}
	if video.samples > 0 && video.sampleTime > 0 && video.timescale > 0 {
		info.Frames = int(min(video.samples, math.MaxInt32))
		fps := float64(video.samples) * float64(video.timescale) / float64(video.sampleTime)
		info.FPS = math.Round(fps*1000) / 1000
	}
	if info.Width <= 0 || info.Height <= 0 {
		return nil, errorf(CodeMalformed, nil, "not a valid video: the video track has no dimensions")
	}
	return info, nil
}

// ticks converts a duration in timescale units, saturating instead of
// overflowing on absurd values.
func ticks(d uint64, timescale uint32) time.Duration {
	s := float64(d) / float64(timescale)
	if s >= float64(math.MaxInt64)/1e9 {
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(s * 1e9)
}

func (p *mp4Prober) moov(b mp4Box) error {
	switch b.typ {
	case "mvhd":
		var mvhd mp4.Mvhd
		if _, err := unmarshal(p.ra, b, &mvhd, p.ctx); err != nil {
			return err
		}
		p.timescale = mvhd.Timescale
		p.duration = uint64(mvhd.DurationV0)
		if mvhd.GetVersion() == 1 {
			p.duration = mvhd.DurationV1
		}
	case "mvex":
		return walkBoxes(p.ra, b.payloadOff, b.off+b.size, maxChildBoxes, func(c mp4Box) error {
			if c.typ != "mehd" {
				return nil
			}
			var mehd mp4.Mehd
			if _, err := unmarshal(p.ra, c, &mehd, p.ctx); err != nil {
				return err
			}
			p.fragDur = uint64(mehd.FragmentDurationV0)
			if mehd.GetVersion() == 1 {
				p.fragDur = mehd.FragmentDurationV1
			}
			return nil
		})
	case "trak":
		if len(p.tracks) >= 64 {
			return errorf(CodeMalformed, nil, "not a valid video: too many tracks")
		}
		t := &mp4Track{}
		p.tracks = append(p.tracks, t)
		return walkBoxes(p.ra, b.payloadOff, b.off+b.size, maxChildBoxes, func(c mp4Box) error { return p.trak(t, c) })
	}
	return nil
}

func (p *mp4Prober) trak(t *mp4Track, b mp4Box) error {
	switch b.typ {
	case "tkhd":
		var tkhd mp4.Tkhd
		if _, err := unmarshal(p.ra, b, &tkhd, p.ctx); err != nil {
			return err
		}
		t.width = float64(tkhd.Width) / 65536
		t.height = float64(tkhd.Height) / 65536
		t.rotation = matrixRotation(tkhd.Matrix)
	case "mdia":
		return walkBoxes(p.ra, b.payloadOff, b.off+b.size, maxChildBoxes, func(c mp4Box) error { return p.mdia(t, c) })
	}
	return nil
}

// matrixRotation reads the clockwise rotation from a track matrix
// {a b u, c d v, x y w} in 16.16 fixed point; only right angles are used.
func matrixRotation(m [9]int32) int {
	a, b := m[0], m[1]
	switch {
	case a == 0 && b > 0:
		return 90
	case a < 0 && b == 0:
		return 180
	case a == 0 && b < 0:
		return 270
	}
	return 0
}

func (p *mp4Prober) mdia(t *mp4Track, b mp4Box) error {
	switch b.typ {
	case "mdhd":
		var mdhd mp4.Mdhd
		if _, err := unmarshal(p.ra, b, &mdhd, p.ctx); err != nil {
			return err
		}
		t.timescale = mdhd.Timescale
		t.duration = uint64(mdhd.DurationV0)
		if mdhd.GetVersion() == 1 {
			t.duration = mdhd.DurationV1
		}
	case "hdlr":
		var hdlr mp4.Hdlr
		if _, err := unmarshal(p.ra, b, &hdlr, p.ctx); err != nil {
			return err
		}
		t.handler = string(hdlr.HandlerType[:])
	case "minf":
		return walkBoxes(p.ra, b.payloadOff, b.off+b.size, maxChildBoxes, func(c mp4Box) error {
			if c.typ != "stbl" {
				return nil
			}
			return walkBoxes(p.ra, c.payloadOff, c.off+c.size, maxChildBoxes, func(d mp4Box) error { return p.stbl(t, d) })
		})
	}
	return nil
}

func (p *mp4Prober) stbl(t *mp4Track, b mp4Box) error {
	switch b.typ {
	case "stsd":
		// FullBox header and entry count, then sample entry boxes.
		if b.payloadSize() < 8 {
			return errorf(CodeMalformed, nil, "not a valid video: sample description too short")
		}
		return walkBoxes(p.ra, b.payloadOff+8, b.off+b.size, maxChildBoxes, func(e mp4Box) error {
			t.sampleEntries++
			if t.sampleEntries == 1 {
				return p.sampleEntry(t, e)
			}
			return nil
		})
	case "stts":
		return p.stts(t, b)
	}
	return nil
}

// sampleEntry reads the codec and coded size from the first sample entry.
func (p *mp4Prober) sampleEntry(t *mp4Track, e mp4Box) error {
	codec := e.typ
	var childrenOff int64
	bt := mp4.StrToBoxType(e.typ)
	switch {
	case t.handler == "vide" || isVisualEntry(e.typ):
		if !bt.IsSupported(p.ctx) {
			// Unknown to go-mp4 (ProRes, ...): read the fixed ISO layout.
			var buf [78]byte
			if e.payloadSize() < int64(len(buf)) {
				return errorf(CodeMalformed, nil, "not a valid video: sample entry too short")
			}
			if _, err := p.ra.ReadAt(buf[:], e.payloadOff); err != nil {
				return errorf(CodeMalformed, err, "not a valid video: truncated sample entry")
			}
			t.entryW = int(binary.BigEndian.Uint16(buf[24:26]))
			t.entryH = int(binary.BigEndian.Uint16(buf[26:28]))
			t.codec = codec
			return nil
		}
		box, err := bt.New(p.ctx)
		if err != nil {
			return errorf(CodeMalformed, err, "not a valid video: cannot read the sample entry %q", printable([]byte(e.typ)))
		}
		vse, ok := box.(*mp4.VisualSampleEntry)
		if !ok {
			t.codec = codec
			return nil
		}
		n, err := unmarshal(p.ra, e, vse, p.ctx)
		if err != nil {
			return err
		}
		t.entryW, t.entryH = int(vse.Width), int(vse.Height)
		childrenOff = e.payloadOff + int64(n)
	case t.handler == "soun" || isAudioEntry(e.typ):
		if !bt.IsSupported(p.ctx) {
			t.codec = codec
			return nil
		}
		box, err := bt.New(p.ctx)
		if err != nil {
			return errorf(CodeMalformed, err, "not a valid video: cannot read the sample entry %q", printable([]byte(e.typ)))
		}
		ase, ok := box.(*mp4.AudioSampleEntry)
		if !ok {
			t.codec = codec
			return nil
		}
		n, err := unmarshal(p.ra, e, ase, p.ctx)
		if err != nil {
			return err
		}
		childrenOff = e.payloadOff + int64(n)
	default:
		t.codec = codec
		return nil
	}
	// Children: the codec configuration, and for encrypted entries the
	// original format.
	err := walkBoxes(p.ra, childrenOff, e.off+e.size, maxChildBoxes, func(c mp4Box) error {
		switch c.typ {
		case "avcC":
			var avcc mp4.AVCDecoderConfiguration
			avcc.SetType(mp4.BoxTypeAvcC())
			if _, err := unmarshal(p.ra, c, &avcc, p.ctx); err != nil {
				return err
			}
			if codec == "avc1" || codec == "avc3" {
				codec = fmt.Sprintf("%s.%02x%02x%02x", codec, avcc.Profile, avcc.ProfileCompatibility, avcc.Level)
			}
		case "esds":
			if oti, aot, ok := p.esds(c); ok && codec == "mp4a" {
				codec = fmt.Sprintf("mp4a.%02x", oti)
				if aot > 0 {
					codec += fmt.Sprintf(".%d", aot)
				}
			}
		case "wave": // QuickTime puts esds inside wave
			return walkBoxes(p.ra, c.payloadOff, c.off+c.size, maxChildBoxes, func(d mp4Box) error {
				if d.typ == "esds" {
					if oti, aot, ok := p.esds(d); ok && codec == "mp4a" {
						codec = fmt.Sprintf("mp4a.%02x", oti)
						if aot > 0 {
							codec += fmt.Sprintf(".%d", aot)
						}
					}
				}
				return nil
			})
		case "sinf":
			return walkBoxes(p.ra, c.payloadOff, c.off+c.size, maxChildBoxes, func(d mp4Box) error {
				if d.typ == "frma" && d.payloadSize() >= 4 {
					var f [4]byte
					if _, err := p.ra.ReadAt(f[:], d.payloadOff); err == nil {
						codec = string(f[:]) + " (encrypted)"
					}
				}
				return nil
			})
		}
		return nil
	})
	if err != nil {
		// Sample entries often end with padding that is not a box; the
		// fixed part already told what matters.
		if CodeOf(err) != CodeMalformed {
			return err
		}
	}
	t.codec = codec
	return nil
}

func isVisualEntry(typ string) bool {
	switch typ {
	case "avc1", "avc3", "hvc1", "hev1", "vp08", "vp09", "av01", "mp4v", "encv", "dvh1", "dvhe":
		return true
	}
	return false
}

func isAudioEntry(typ string) bool {
	switch typ {
	case "mp4a", "Opus", "ac-3", "ec-3", "fLaC", "alac", "enca", "ipcm", "fpcm", "lpcm", "sowt", "twos":
		return true
	}
	return false
}

// esds returns the MPEG-4 object type indication and, for AAC, the audio
// object type (2 = AAC-LC), as in the RFC 6381 codec string "mp4a.40.2".
func (p *mp4Prober) esds(b mp4Box) (oti byte, aot int, ok bool) {
	var esds mp4.Esds
	if _, err := unmarshal(p.ra, b, &esds, p.ctx); err != nil {
		return 0, 0, false
	}
	for _, d := range esds.Descriptors {
		switch {
		case d.DecoderConfigDescriptor != nil:
			oti, ok = d.DecoderConfigDescriptor.ObjectTypeIndication, true
		case d.Tag == mp4.DecSpecificInfoTag && len(d.Data) > 0 && oti == 0x40:
			aot = int(d.Data[0] >> 3)
			if aot == 31 && len(d.Data) > 1 {
				aot = 32 + int(d.Data[0]&7)<<3 | int(d.Data[1]>>5)
			}
		}
	}
	return oti, aot, ok
}

// stts sums the time-to-sample table without holding it: entry counts and
// durations stream through a small buffer.
func (p *mp4Prober) stts(t *mp4Track, b mp4Box) error {
	size := b.payloadSize()
	if size < 8 {
		return errorf(CodeMalformed, nil, "not a valid video: time-to-sample table too short")
	}
	r := bufio.NewReaderSize(io.NewSectionReader(p.ra, b.payloadOff, size), 4096)
	var h [8]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return errorf(CodeMalformed, err, "not a valid video: truncated time-to-sample table")
	}
	n := int64(binary.BigEndian.Uint32(h[4:8]))
	if n > (size-8)/8 {
		return errorf(CodeMalformed, nil, "not a valid video: the time-to-sample table is larger than its box")
	}
	n = min(n, maxSttsEntries)
	var e [8]byte
	for i := int64(0); i < n; i++ {
		if _, err := io.ReadFull(r, e[:]); err != nil {
			return errorf(CodeMalformed, err, "not a valid video: truncated time-to-sample table")
		}
		count := uint64(binary.BigEndian.Uint32(e[0:4]))
		delta := uint64(binary.BigEndian.Uint32(e[4:8]))
		d := count * delta // both below 2^32, so no overflow here
		if d > math.MaxUint64-t.sampleTime {
			return errorf(CodeMalformed, nil, "not a valid video: absurd sample durations")
		}
		t.samples += count
		t.sampleTime += d
	}
	return nil
}

package media

import (
	"bytes"
	"encoding/binary"
	"io"
)

// jpegSegments calls fn with the marker and payload of each APPn segment
// before the image data, reading at most 64 KiB at a time. fn returns false
// to stop.
func jpegSegments(ra io.ReaderAt, size int64, fn func(marker byte, data []byte) bool) {
	off := int64(2) // after SOI
	var h [4]byte
	for i := 0; i < 256 && off+4 <= size; i++ {
		if _, err := ra.ReadAt(h[:2], off); err != nil || h[0] != 0xff {
			return
		}
		marker := h[1]
		if marker == 0xff { // fill byte
			off++
			continue
		}
		if marker == 0xd8 || marker == 0x01 || (marker >= 0xd0 && marker <= 0xd7) {
			off += 2
			continue
		}
		if marker == 0xda || marker == 0xd9 { // start of scan, end of image
			return
		}
		if _, err := ra.ReadAt(h[2:4], off+2); err != nil {
			return
		}
		n := int64(binary.BigEndian.Uint16(h[2:4]))
		if n < 2 || off+2+n > size {
			return
		}
		if marker >= 0xe0 && marker <= 0xef {
			data := make([]byte, n-2)
			if _, err := ra.ReadAt(data, off+4); err != nil {
				return
			}
			if !fn(marker, data) {
				return
			}
		}
		off += 2 + n
	}
}

// jpegOrientation returns the EXIF orientation (1-8) of a JPEG, 1 if absent
// or unreadable.
func jpegOrientation(ra io.ReaderAt, size int64) int {
	orientation := 1
	jpegSegments(ra, size, func(marker byte, data []byte) bool {
		if marker != 0xe1 || !bytes.HasPrefix(data, []byte("Exif\x00\x00")) {
			return true
		}
		if o := exifOrientation(data[6:]); o >= 1 && o <= 8 {
			orientation = o
		}
		return false
	})
	return orientation
}

// exifOrientation reads tag 0x0112 from IFD0 of a TIFF structure.
func exifOrientation(t []byte) int {
	if len(t) < 8 {
		return 0
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 0
	}
	if bo.Uint16(t[2:4]) != 42 {
		return 0
	}
	ifd := int64(bo.Uint32(t[4:8]))
	if ifd < 8 || ifd+2 > int64(len(t)) {
		return 0
	}
	n := int64(bo.Uint16(t[ifd : ifd+2]))
	for i := int64(0); i < n; i++ {
		e := ifd + 2 + i*12
		if e+12 > int64(len(t)) {
			return 0
		}
		if bo.Uint16(t[e:e+2]) == 0x0112 && bo.Uint16(t[e+2:e+4]) == 3 {
			return int(bo.Uint16(t[e+8 : e+10]))
		}
	}
	return 0
}

// jpegICC returns the ICC profile embedded in a JPEG's APP2 segments, or nil.
// Keeping it in a derived copy keeps wide-gamut (Display P3) colours as they
// were.
func jpegICC(ra io.ReaderAt, size int64) []byte {
	var chunks [][]byte
	total := 0
	jpegSegments(ra, size, func(marker byte, data []byte) bool {
		if marker != 0xe2 || !bytes.HasPrefix(data, []byte("ICC_PROFILE\x00")) || len(data) < 14 {
			return true
		}
		seq, count := int(data[12]), int(data[13])
		if count == 0 || seq == 0 || seq > count {
			return true
		}
		if chunks == nil {
			chunks = make([][]byte, count)
		}
		if count != len(chunks) || chunks[seq-1] != nil {
			chunks = nil
			return false
		}
		chunks[seq-1] = data[14:]
		total += len(data) - 14
		return total < 4<<20
	})
	if chunks == nil {
		return nil
	}
	out := make([]byte, 0, total)
	for _, c := range chunks {
		if c == nil {
			return nil
		}
		out = append(out, c...)
	}
	return out
}

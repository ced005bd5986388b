package media

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// Limits on the Range header of public media requests. A request may name
// thousands of tiny ranges, each answered as a part with its own headers:
// 60,000 ranges cost seconds of CPU and megabytes sent for one request.
const (
	// MaxRangeHeaderBytes is the longest Range header honoured; a longer
	// one is ignored and the whole file is sent (RFC 9110 lets a server
	// ignore Range).
	MaxRangeHeaderBytes = 1024
	// MaxRanges is the most ranges answered after overlapping and adjacent
	// ones are merged; more get the whole file.
	MaxRanges = 16
)

// byteRange is the inclusive range [start, end] of a blob.
type byteRange struct{ start, end int64 }

// limitRanges returns the Range header to serve a blob of size bytes with:
// header itself when it is not a list of byte ranges, or when none of them
// is satisfiable (http.ServeContent then answers 416 or ignores it, as
// before); the satisfiable ranges sorted, with overlapping and adjacent
// ones merged, when at most MaxRanges remain; and "" (serve the whole file)
// when the header is longer than MaxRangeHeaderBytes or more ranges remain.
func limitRanges(header string, size int64) string {
	if header == "" {
		return ""
	}
	if len(header) > MaxRangeHeaderBytes {
		return ""
	}
	spec, ok := strings.CutPrefix(header, "bytes=")
	if !ok {
		return header
	}
	var ranges []byteRange
	for part := range strings.SplitSeq(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		first, last, ok := strings.Cut(part, "-")
		if !ok {
			return header
		}
		first, last = strings.TrimSpace(first), strings.TrimSpace(last)
		var r byteRange
		if first == "" {
			// A suffix: the last n bytes.
			n, err := strconv.ParseInt(last, 10, 64)
			if err != nil || n < 0 {
				return header
			}
			if n == 0 || size == 0 {
				continue
			}
			r = byteRange{max(0, size-n), size - 1}
		} else {
			start, err := strconv.ParseInt(first, 10, 64)
			if err != nil || start < 0 {
				return header
			}
			end := size - 1
			if last != "" {
				if end, err = strconv.ParseInt(last, 10, 64); err != nil || end < start {
					return header
				}
			}
			if start >= size {
				continue // not satisfiable; dropped as http.ServeContent does
			}
			r = byteRange{start, min(end, size-1)}
		}
		ranges = append(ranges, r)
	}
	if len(ranges) == 0 {
		return header
	}
	slices.SortFunc(ranges, func(a, b byteRange) int { return cmp.Compare(a.start, b.start) })
	merged := ranges[:1]
	for _, r := range ranges[1:] {
		last := &merged[len(merged)-1]
		if r.start <= last.end+1 {
			last.end = max(last.end, r.end)
			continue
		}
		merged = append(merged, r)
	}
	if len(merged) > MaxRanges {
		return ""
	}
	var b strings.Builder
	b.WriteString("bytes=")
	for i, r := range merged {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(r.start, 10))
		b.WriteByte('-')
		b.WriteString(strconv.FormatInt(r.end, 10))
	}
	return b.String()
}

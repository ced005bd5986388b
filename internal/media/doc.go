// Package media fetches, checks, stores and serves the images and videos that
// Herald publishes.
//
// The pieces, in the order a file meets them:
//
//   - Fetcher downloads a mediaUrl through a safehttp client (which refuses
//     loopback, private, link-local, metadata and other inside addresses at
//     connect time, so neither DNS rebinding nor a redirect reaches them),
//     with bounded redirects, timeouts and no transparent decompression.
//   - Sniff and Probe decide the type from the bytes (never the name or the
//     Content-Type header) and read dimensions, GIF frames and, by parsing the
//     MP4/QuickTime container, a video's duration, frame rate and codecs.
//   - Ingester streams a download or an upload to a temporary file while
//     hashing and enforcing the size cap, probes it and stores it in a Store
//     under its SHA-256: LocalStore (a directory) or S3Store (an S3-compatible
//     bucket). Memory does not grow with the file's size.
//   - ServeBlob answers public GET/HEAD requests for a stored file with ranges,
//     an ETag and immutable caching, for the networks that pull media by URL.
//   - CheckRules compares files with a network's provider.Rules; PlanDerivative
//     and Derive make a copy that fits (PNG to JPEG, downscaled to a byte or
//     pixel cap) and keep the original.
//
// Every failure a user can cause is an *Error naming the URL (or upload) and
// the reason; any other error is Herald's own fault.
package media

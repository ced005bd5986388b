package herald

import "time"

// Media is one stored image or video of a workspace: a file downloaded from
// a post's mediaUrls or uploaded to the library. Its bytes live in the media
// store under SHA256; the row says what they are.
//
// A derived copy (a PNG turned into a JPEG for Instagram, an image scaled
// down for Bluesky) is a Media too, with ParentID naming the original and
// Network the network it was made for; the original is kept. Derived copies
// are not listed in the library and go when their original goes.
type Media struct {
	ID          string
	WorkspaceID string
	// ParentID and Network are set on derived copies only.
	ParentID string
	Network  string
	// SHA256 is the lower-case hex SHA-256 of the bytes: the blob's key.
	SHA256 string
	MIME   string
	// Kind is "image" or "video".
	Kind   string
	Size   int64
	Width  int
	Height int
	// Frames is 1 for a still image, the frame count of an animation, the
	// sample count of a video (0 if unknown).
	Frames      int
	Duration    time.Duration
	FPS         float64
	VideoCodec  string
	AudioCodec  string
	Orientation int
	Rotation    int
	// SourceURL is the URL the file was downloaded from ("" for uploads).
	SourceURL string
	// FileName is an upload's file name ("" for downloads).
	FileName string
	AltText  string
	// CreatedBy is the user who added the file ("" for derived copies).
	CreatedBy string
	CreatedAt time.Time
	// TouchedAt is when a post last started or stopped using the file.
	// Unused media are collected a configured time after it, so a file
	// released by an edited or deleted post gets the full time again.
	TouchedAt time.Time
}

// MaxAltText bounds a media file's alt text, in characters.
const MaxAltText = 1500

// MediaFilter selects a page of a workspace's library, newest first.
type MediaFilter struct {
	WorkspaceID string
	Offset      int
	Limit       int
}

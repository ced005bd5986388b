package config

import (
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// MediaConfig is where media files are kept and what they may be.
type MediaConfig struct {
	// Dir is the local media store (default <data-dir>/media); unused when
	// S3Bucket is set.
	Dir string
	// MaxImageBytes, MaxGIFBytes and MaxVideoBytes cap each file by type.
	MaxImageBytes int64
	MaxGIFBytes   int64
	MaxVideoBytes int64
	// Quota caps one workspace's media, in bytes (0: none).
	Quota int64
	// GCAge is how long a file no post uses is kept; GCInterval is how
	// often unused files are looked for.
	GCAge      time.Duration
	GCInterval time.Duration
	// FetchTimeout bounds one download of a mediaUrl.
	FetchTimeout time.Duration
	// S3 settings: with S3Bucket set, files go to an S3-compatible bucket
	// (AWS S3, MinIO, R2, B2, Garage...) so that several nodes share them.
	S3Endpoint        string
	S3Bucket          string
	S3Region          string
	S3AccessKeyID     string
	S3SecretAccessKey string
	S3Prefix          string
	S3TLS             bool
	S3PathStyle       bool
}

// mediaSettings are the media settings of `herald serve`.
func mediaSettings() []Setting {
	return []Setting{
		{"media-dir", "HERALD_MEDIA_DIR", "", "directory of the local media store (default: <data-dir>/media)", text(func(c *Config) *string { return &c.Media.Dir })},
		{"media-max-image-bytes", "HERALD_MEDIA_MAX_IMAGE_BYTES", "5MiB", "largest PNG, JPEG or WebP file accepted (bytes, or with KB, MB, GB, KiB, MiB, GiB)", size(func(c *Config) *int64 { return &c.Media.MaxImageBytes }, 1)},
		{"media-max-gif-bytes", "HERALD_MEDIA_MAX_GIF_BYTES", "", "largest GIF file accepted (default: the image cap)", func(c *Config, v string) error {
			if v == "" {
				return nil // the image cap, set by complete
			}
			return size(func(c *Config) *int64 { return &c.Media.MaxGIFBytes }, 1)(c, v)
		}},
		{"media-max-video-bytes", "HERALD_MEDIA_MAX_VIDEO_BYTES", "5MiB", "largest MP4 or MOV file accepted", size(func(c *Config) *int64 { return &c.Media.MaxVideoBytes }, 1)},
		{"media-quota", "HERALD_MEDIA_QUOTA", "0", "media storage per workspace, derived copies included (0: no quota)", size(func(c *Config) *int64 { return &c.Media.Quota }, 0)},
		{"media-gc-age", "HERALD_MEDIA_GC_AGE", "168h", "how long a media file that no post uses is kept", mediaDuration(func(c *Config) *time.Duration { return &c.Media.GCAge }, time.Minute)},
		{"media-gc-interval", "HERALD_MEDIA_GC_INTERVAL", "1h", "how often unused media files are looked for", mediaDuration(func(c *Config) *time.Duration { return &c.Media.GCInterval }, time.Second)},
		{"media-fetch-timeout", "HERALD_MEDIA_FETCH_TIMEOUT", "60s", "longest time one mediaUrl may take to download", mediaDuration(func(c *Config) *time.Duration { return &c.Media.FetchTimeout }, time.Second)},
		{"media-s3-endpoint", "HERALD_MEDIA_S3_ENDPOINT", "", "S3-compatible endpoint, host[:port] or https://host (default: s3.<region>.amazonaws.com)", text(func(c *Config) *string { return &c.Media.S3Endpoint })},
		{"media-s3-bucket", "HERALD_MEDIA_S3_BUCKET", "", "S3 bucket for media; when set, media go there instead of the media directory", text(func(c *Config) *string { return &c.Media.S3Bucket })},
		{"media-s3-region", "HERALD_MEDIA_S3_REGION", "us-east-1", "S3 region", text(func(c *Config) *string { return &c.Media.S3Region })},
		{"media-s3-access-key-id", "HERALD_MEDIA_S3_ACCESS_KEY_ID", "", "S3 access key id (empty with the secret: anonymous)", text(func(c *Config) *string { return &c.Media.S3AccessKeyID })},
		{"media-s3-secret-access-key", "HERALD_MEDIA_S3_SECRET_ACCESS_KEY", "", "S3 secret access key", text(func(c *Config) *string { return &c.Media.S3SecretAccessKey })},
		{"media-s3-prefix", "HERALD_MEDIA_S3_PREFIX", "", "prefix of the object names (such as media/)", text(func(c *Config) *string { return &c.Media.S3Prefix })},
		{"media-s3-tls", "HERALD_MEDIA_S3_TLS", "true", "reach the S3 endpoint over https", boolean(func(c *Config) *bool { return &c.Media.S3TLS })},
		{"media-s3-path-style", "HERALD_MEDIA_S3_PATH_STYLE", "false", "address the bucket as endpoint/bucket (MinIO and most self-hosted servers)", boolean(func(c *Config) *bool { return &c.Media.S3PathStyle })},
	}
}

// size stores a size (see ParseBytes) of no fewer than least bytes.
func size(field func(*Config) *int64, least int64) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := ParseBytes(v)
		if err != nil || n < least {
			return fmt.Errorf("%q is not a size such as 5MiB or 5000000", v)
		}
		*field(c) = n
		return nil
	}
}

// mediaDuration is duration with the media settings' wording.
func mediaDuration(field func(*Config) *time.Duration, least time.Duration) func(*Config, string) error {
	return duration(field, least, fmt.Sprintf("is not a duration of at least %s (such as 1h)", least))
}

// complete derives what the media settings leave to others (the directory
// from the data directory, the GIF cap from the image cap, the endpoint's
// scheme and default) and checks the settings that go together.
func (m *MediaConfig) complete(dataDir string) error {
	if m.Dir == "" {
		m.Dir = filepath.Join(dataDir, "media")
	}
	if m.MaxGIFBytes == 0 {
		m.MaxGIFBytes = m.MaxImageBytes
	}
	switch {
	case strings.HasPrefix(m.S3Endpoint, "https://"):
		m.S3Endpoint, m.S3TLS = strings.TrimPrefix(m.S3Endpoint, "https://"), true
	case strings.HasPrefix(m.S3Endpoint, "http://"):
		m.S3Endpoint, m.S3TLS = strings.TrimPrefix(m.S3Endpoint, "http://"), false
	}
	m.S3Endpoint = strings.TrimRight(m.S3Endpoint, "/")
	if m.S3Bucket != "" && m.S3Endpoint == "" {
		m.S3Endpoint = "s3." + m.S3Region + ".amazonaws.com"
	}
	if (m.S3AccessKeyID == "") != (m.S3SecretAccessKey == "") {
		return fmt.Errorf("media-s3-access-key-id and media-s3-secret-access-key: set both or neither")
	}
	return nil
}

// ParseBytes parses a size: a number of bytes, or a number with a unit
// (KB, MB, GB in powers of 1000; KiB, MiB, GiB in powers of 1024), case
// and spaces ignored.
func ParseBytes(s string) (int64, error) {
	t := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), " ", ""))
	units := []struct {
		suffix string
		mult   float64
	}{{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"kb", 1e3}, {"mb", 1e6}, {"gb", 1e9}, {"b", 1}}
	mult := 1.0
	for _, u := range units {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSuffix(t, u.suffix), u.mult
			break
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || v < 0 || math.IsNaN(v) || math.IsInf(v, 0) || v*mult > math.MaxInt64/2 {
		return 0, fmt.Errorf("%q is not a size", s)
	}
	return int64(v * mult), nil
}

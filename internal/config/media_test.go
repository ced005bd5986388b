package config

import (
	"flag"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseBytes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"5242880", 5 << 20, true},
		{"5MiB", 5 << 20, true},
		{"5 mib", 5 << 20, true},
		{"5MB", 5_000_000, true},
		{"1.5GB", 1_500_000_000, true},
		{"300kb", 300_000, true},
		{"2KiB", 2048, true},
		{"0", 0, true},
		{"10b", 10, true},
		{"", 0, false},
		{"five", 0, false},
		{"-1MB", 0, false},
		{"1e30GB", 0, false},
		{"NaN", 0, false},
	}
	for _, tc := range tests {
		got, err := ParseBytes(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func bindWith(t *testing.T, env map[string]string, args ...string) (*Config, error) {
	t.Helper()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	build := Bind(fs, func(k string) string { return env[k] })
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return build()
}

func TestMediaSettings(t *testing.T) {
	t.Parallel()
	c, err := bindWith(t, map[string]string{"HERALD_DATA_DIR": "/srv/herald"})
	if err != nil {
		t.Fatal(err)
	}
	want := MediaConfig{Dir: "/srv/herald/media", MaxImageBytes: 5 << 20, MaxGIFBytes: 5 << 20, MaxVideoBytes: 5 << 20, GCAge: 168 * time.Hour,
		GCInterval: time.Hour, FetchTimeout: time.Minute, S3Region: "us-east-1", S3TLS: true}
	if diff := cmp.Diff(want, c.Media); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}

	c, err = bindWith(t, map[string]string{
		"HERALD_MEDIA_MAX_VIDEO_BYTES": "100MB", "HERALD_MEDIA_QUOTA": "1GiB", "HERALD_MEDIA_S3_BUCKET": "media",
		"HERALD_MEDIA_S3_ENDPOINT": "http://minio:9000/", "HERALD_MEDIA_S3_ACCESS_KEY_ID": "k", "HERALD_MEDIA_S3_SECRET_ACCESS_KEY": "s",
	}, "--media-max-gif-bytes", "15MB", "--media-gc-age", "24h", "--media-s3-path-style=true")
	if err != nil {
		t.Fatal(err)
	}
	want = MediaConfig{Dir: "herald-data/media", MaxImageBytes: 5 << 20, MaxGIFBytes: 15_000_000, MaxVideoBytes: 100_000_000, Quota: 1 << 30,
		GCAge: 24 * time.Hour, GCInterval: time.Hour, FetchTimeout: time.Minute, S3Endpoint: "minio:9000", S3Bucket: "media", S3Region: "us-east-1",
		S3AccessKeyID: "k", S3SecretAccessKey: "s", S3PathStyle: true}
	if diff := cmp.Diff(want, c.Media); diff != "" {
		t.Errorf("set (-want +got):\n%s", diff)
	}

	for _, tc := range []struct {
		name, env, value, message string
	}{
		{"size", "HERALD_MEDIA_MAX_IMAGE_BYTES", "big", "media-max-image-bytes"},
		{"zero cap", "HERALD_MEDIA_MAX_VIDEO_BYTES", "0", "media-max-video-bytes"},
		{"age", "HERALD_MEDIA_GC_AGE", "soon", "media-gc-age"},
		{"short age", "HERALD_MEDIA_GC_AGE", "1s", "media-gc-age"},
		{"tls", "HERALD_MEDIA_S3_TLS", "maybe", "media-s3-tls"},
		{"half credentials", "HERALD_MEDIA_S3_ACCESS_KEY_ID", "k", "set both or neither"},
	} {
		if _, err := bindWith(t, map[string]string{tc.env: tc.value}); err == nil || !strings.Contains(err.Error(), tc.message) {
			t.Errorf("%s: err = %v, want it to name %q", tc.name, err, tc.message)
		}
	}
	// AWS: the endpoint follows the region.
	c, err = bindWith(t, map[string]string{"HERALD_MEDIA_S3_BUCKET": "b", "HERALD_MEDIA_S3_REGION": "eu-west-1"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Media.S3Endpoint != "s3.eu-west-1.amazonaws.com" || !c.Media.S3TLS {
		t.Errorf("AWS endpoint = %q (tls %v)", c.Media.S3Endpoint, c.Media.S3TLS)
	}
}

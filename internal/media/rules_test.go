package media

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/heraldhq/herald/internal/provider"
)

func img(mimeType string, size int64, w, h int) Info {
	return Info{MIME: mimeType, Kind: KindImage, Size: size, Width: w, Height: h, Frames: 1}
}

func vid(size int64, d time.Duration) Info {
	return Info{MIME: MIMEMP4, Kind: KindVideo, Size: size, Width: 1080, Height: 1920, Duration: d}
}

func TestCheckRules(t *testing.T) {
	t.Parallel()
	bluesky := provider.Rules{Network: "bluesky", MaxImages: 4, MaxVideos: 1,
		ImageMaxBytes: 1_000_000, ImageMaxWidth: 2000, ImageMaxHeight: 2000, VideoMaxBytes: 50_000_000,
		VideoMaxDuration: 3 * time.Minute}
	instagram := provider.Rules{Network: "instagram", MediaRequired: true, MaxImages: 10, MaxVideos: 1,
		ImageTypes: []string{MIMEJPEG}, ImageMaxBytes: 8_000_000, MinAspect: 0.8, MaxAspect: 1.91,
		VideoMinDuration: 3 * time.Second, VideoMaxDuration: 15 * time.Minute}
	x := provider.Rules{Network: "x", MaxImages: 4, MaxVideos: 1, ImageMaxBytes: 5 << 20, GIFMaxBytes: 15 << 20,
		VideoTypes: []string{MIMEMP4}}
	tests := []struct {
		name  string
		rules provider.Rules
		items []Info
		want  []*provider.Violation
	}{
		{"within bluesky's limits", bluesky, []Info{img(MIMEJPEG, 900_000, 2000, 1500), img(MIMEPNG, 1000, 10, 10)}, nil},
		{"no media where none is required", bluesky, nil, nil},
		{"media required", instagram, nil, []*provider.Violation{
			{Network: "instagram", Field: "mediaUrls", Index: -1, Rule: "a post needs at least one image or video"}}},
		{"too many images", bluesky, []Info{img(MIMEPNG, 1, 1, 1), img(MIMEPNG, 1, 1, 1), img(MIMEPNG, 1, 1, 1), img(MIMEPNG, 1, 1, 1), img(MIMEPNG, 1, 1, 1)}, []*provider.Violation{
			{Network: "bluesky", Field: "mediaUrls", Index: -1, Rule: "at most 4 images per post (this post has 5)"}}},
		{"mixing and two videos", bluesky, []Info{img(MIMEPNG, 1, 1, 1), vid(1000, time.Minute), vid(1000, time.Minute)}, []*provider.Violation{
			{Network: "bluesky", Field: "mediaUrls", Index: -1, Rule: "images and videos cannot be mixed in one post"},
			{Network: "bluesky", Field: "mediaUrls", Index: -1, Rule: "at most 1 video per post (this post has 2)"}}},
		{"image too large in bytes and pixels", bluesky, []Info{img(MIMEPNG, 1, 1, 1), img(MIMEJPEG, 2_500_000, 4032, 3024)}, []*provider.Violation{
			{Network: "bluesky", Field: "mediaUrls[1]", Index: 1, Rule: "the file is 2.5 MB; images may be at most 1 MB"},
			{Network: "bluesky", Field: "mediaUrls[1]", Index: 1, Rule: "the image is 4032×3024 pixels; the largest allowed is 2000×2000"}}},
		{"gif has its own cap", x, []Info{img(MIMEGIF, 10<<20, 500, 500), img(MIMEPNG, 6<<20, 500, 500)}, []*provider.Violation{
			{Network: "x", Field: "mediaUrls[1]", Index: 1, Rule: "the file is 6 MiB; images may be at most 5 MiB"}}},
		{"gif over its cap", x, []Info{img(MIMEGIF, 16<<20, 500, 500)}, []*provider.Violation{
			{Network: "x", Field: "mediaUrls[0]", Index: 0, Rule: "the file is 16 MiB; GIFs may be at most 15 MiB"}}},
		{"type and shape", instagram, []Info{img(MIMEPNG, 1000, 1000, 2000), img(MIMEJPEG, 1000, 1910, 1000), img(MIMEJPEG, 1000, 800, 1000)}, []*provider.Violation{
			{Network: "instagram", Field: "mediaUrls[0]", Index: 0, Rule: "PNG images are not accepted (accepted: JPEG)"},
			{Network: "instagram", Field: "mediaUrls[0]", Index: 0, Rule: "the image's shape (width ÷ height = 0.50) is outside the allowed range 0.80 (4:5) to 1.91"}}},
		{"vertical video is not held to image shapes", instagram, []Info{vid(10_000, 30*time.Second)}, nil},
		{"video too short and too long", instagram, []Info{vid(1, 2*time.Second)}, []*provider.Violation{
			{Network: "instagram", Field: "mediaUrls[0]", Index: 0, Rule: "the video is 2 s long; the shortest allowed is 3 s"}}},
		{"video too long and too big", bluesky, []Info{vid(60_000_000, 3*time.Minute+500*time.Millisecond)}, []*provider.Violation{
			{Network: "bluesky", Field: "mediaUrls[0]", Index: 0, Rule: "the file is 60 MB; videos may be at most 50 MB"},
			{Network: "bluesky", Field: "mediaUrls[0]", Index: 0, Rule: "the video is 3 min 0.5 s long; the longest allowed is 3 min"}}},
		{"video type", x, []Info{{MIME: MIMEQuickTime, Kind: KindVideo, Size: 1}}, []*provider.Violation{
			{Network: "x", Field: "mediaUrls[0]", Index: 0, Rule: "QuickTime videos are not accepted (accepted: MP4)"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := CheckRules(tt.rules, tt.items)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("CheckRules mismatch (-want +got):\n%s", diff)
			}
		})
	}
	v := CheckRules(bluesky, []Info{img(MIMEJPEG, 2_000_000, 10, 10)})[0]
	if got, want := v.Error(), "bluesky: mediaUrls[0]: the file is 2 MB; images may be at most 1 MB"; got != want {
		t.Errorf("Violation.Error() = %q, want %q", got, want)
	}
}

func TestPlanDerivative(t *testing.T) {
	t.Parallel()
	bluesky := provider.Rules{Network: "bluesky", ImageMaxBytes: 1_000_000, ImageMaxWidth: 2000, ImageMaxHeight: 2000}
	instagram := provider.Rules{Network: "instagram", ImageTypes: []string{MIMEJPEG}, ImageMaxBytes: 8_000_000}
	pngOnly := provider.Rules{Network: "pngland", ImageTypes: []string{MIMEPNG}}
	tests := []struct {
		name  string
		rules provider.Rules
		in    Info
		want  Target
		ok    bool
	}{
		{"fits", bluesky, img(MIMEJPEG, 500_000, 1000, 1000), Target{}, false},
		{"too many bytes", bluesky, img(MIMEJPEG, 3_000_000, 1500, 1500), Target{MaxBytes: 1_000_000, MaxWidth: 2000, MaxHeight: 2000, AllowJPEG: true}, true},
		{"too many pixels", bluesky, img(MIMEPNG, 500_000, 4000, 1000), Target{MaxBytes: 1_000_000, MaxWidth: 2000, MaxHeight: 2000, AllowJPEG: true}, true},
		{"webp too big becomes jpeg", bluesky, img(MIMEWebP, 3_000_000, 1000, 1000), Target{MIME: MIMEJPEG, MaxBytes: 1_000_000, MaxWidth: 2000, MaxHeight: 2000, AllowJPEG: true}, true},
		{"png to jpeg", instagram, img(MIMEPNG, 100_000, 1000, 1000), Target{MIME: MIMEJPEG, MaxBytes: 8_000_000, AllowJPEG: true}, true},
		{"webp to png", pngOnly, img(MIMEWebP, 100, 10, 10), Target{MIME: MIMEPNG}, true},
		{"animated gif cannot be fixed", bluesky, Info{MIME: MIMEGIF, Kind: KindImage, Size: 5_000_000, Width: 100, Height: 100, Frames: 20}, Target{}, false},
		{"video cannot be fixed", bluesky, vid(100_000_000, time.Minute), Target{}, false},
		{"no accepted encodable type", provider.Rules{ImageTypes: []string{MIMEGIF}}, img(MIMEPNG, 10, 1, 1), Target{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := PlanDerivative(tt.rules, tt.in)
			if ok != tt.ok || got != tt.want {
				t.Errorf("PlanDerivative = %+v, %v; want %+v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestFormatBytes(t *testing.T) {
	t.Parallel()
	for n, want := range map[int64]string{
		0: "0 bytes", 999: "999 bytes", 1000: "1 KB", 1024: "1 KiB", 10_000: "10 KB", 15_400: "15.4 KB",
		1_000_000: "1 MB", 1 << 20: "1 MiB", 5 << 20: "5 MiB", 2_500_000: "2.5 MB", 52_428_801: "52.4 MB",
	} {
		if got := formatBytes(n); got != want {
			t.Errorf("formatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

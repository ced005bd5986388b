package app_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/heraldhq/herald"
)

// holdRead is how long each update keeps what it read before writing: long
// enough that, without a lock, the concurrent updates all read the same
// version and each writes back the others' fields unchanged.
const holdRead = 50 * time.Millisecond

// concurrently runs the changes at once and fails the test on any error.
func concurrently(t *testing.T, changes ...func() error) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make([]error, len(changes))
	for i, change := range changes {
		wg.Go(func() { errs[i] = change() })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("update %d: %v", i, err)
		}
	}
}

// TestConcurrentAssetUpdatesKeepEveryField updates different fields of one
// brand kit, hashtag library and studio template at the same moment, as
// concurrent PATCH requests do: every field's update must be kept.
func TestConcurrentAssetUpdatesKeepEveryField(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, e *env) {
		t.Run("brand kit", func(t *testing.T) {
			b := &herald.BrandKit{Name: "Before"}
			if err := e.app.CreateBrandKit(e.ctx, e.ws, b); err != nil {
				t.Fatal(err)
			}
			set := func(f func(*herald.BrandKit)) func() error {
				return func() error {
					_, err := e.app.UpdateBrandKit(e.ctx, e.ws, b.ID, func(b *herald.BrandKit) error {
						time.Sleep(holdRead)
						f(b)
						return nil
					})
					return err
				}
			}
			concurrently(t,
				set(func(b *herald.BrandKit) { b.Name = "After" }),
				set(func(b *herald.BrandKit) { b.Description = "Plain words" }),
				set(func(b *herald.BrandKit) { b.Colors = []string{"#1A2B3C"} }),
				set(func(b *herald.BrandKit) { b.Fonts = []string{"Inter"} }),
				set(func(b *herald.BrandKit) { b.LogoURL = "https://example.org/logo.png" }),
				set(func(b *herald.BrandKit) { b.DoWords = []string{"ship"} }),
				set(func(b *herald.BrandKit) { b.DontWords = []string{"synergy"} }),
			)
			got, err := e.app.GetBrandKit(e.ctx, e.ws, b.ID)
			if err != nil {
				t.Fatal(err)
			}
			want := herald.BrandKit{Name: "After", Description: "Plain words", Colors: []string{"#1A2B3C"}, Fonts: []string{"Inter"},
				LogoURL: "https://example.org/logo.png", DoWords: []string{"ship"}, DontWords: []string{"synergy"}}
			if diff := cmp.Diff(want, *got, cmpopts.IgnoreFields(herald.BrandKit{}, "ID", "WorkspaceID", "CreatedAt", "UpdatedAt")); diff != "" {
				t.Errorf("brand kit after concurrent updates (-want +got):\n%s", diff)
			}
		})
		t.Run("hashtag library", func(t *testing.T) {
			h := &herald.HashtagLibrary{Name: "Before", Hashtags: []string{"#launch"}}
			if err := e.app.CreateHashtagLibrary(e.ctx, e.ws, h); err != nil {
				t.Fatal(err)
			}
			// Several updates each add their own hashtag: a lost update
			// loses a hashtag.
			var changes []func() error
			for i := range 4 {
				changes = append(changes, func() error {
					_, err := e.app.UpdateHashtagLibrary(e.ctx, e.ws, h.ID, func(h *herald.HashtagLibrary) error {
						time.Sleep(holdRead)
						h.Hashtags = append(h.Hashtags, fmt.Sprintf("#tag%d", i))
						return nil
					})
					return err
				})
			}
			changes = append(changes, func() error {
				_, err := e.app.UpdateHashtagLibrary(e.ctx, e.ws, h.ID, func(h *herald.HashtagLibrary) error {
					time.Sleep(holdRead)
					h.Name = "After"
					return nil
				})
				return err
			})
			concurrently(t, changes...)
			got, err := e.app.GetHashtagLibrary(e.ctx, e.ws, h.ID)
			if err != nil {
				t.Fatal(err)
			}
			slices.Sort(got.Hashtags)
			if want := []string{"#launch", "#tag0", "#tag1", "#tag2", "#tag3"}; got.Name != "After" || !slices.Equal(got.Hashtags, want) {
				t.Errorf("hashtag library = %q %v, want %q %v", got.Name, got.Hashtags, "After", want)
			}
		})
		t.Run("studio template", func(t *testing.T) {
			s := &herald.StudioTemplate{Name: "Before"}
			if err := e.app.CreateStudioTemplate(e.ctx, e.ws, s); err != nil {
				t.Fatal(err)
			}
			set := func(f func(*herald.StudioTemplate)) func() error {
				return func() error {
					_, err := e.app.UpdateStudioTemplate(e.ctx, e.ws, s.ID, func(s *herald.StudioTemplate) error {
						time.Sleep(holdRead)
						f(s)
						return nil
					})
					return err
				}
			}
			concurrently(t,
				set(func(s *herald.StudioTemplate) { s.Name = "After" }),
				set(func(s *herald.StudioTemplate) { s.Description = "Square post" }),
				set(func(s *herald.StudioTemplate) { s.ThumbnailURL = "https://example.org/thumb.png" }),
				set(func(s *herald.StudioTemplate) { s.Width = 1080 }),
				set(func(s *herald.StudioTemplate) { s.Height = 1350 }),
			)
			got, err := e.app.GetStudioTemplate(e.ctx, e.ws, s.ID)
			if err != nil {
				t.Fatal(err)
			}
			want := herald.StudioTemplate{Name: "After", Description: "Square post", ThumbnailURL: "https://example.org/thumb.png", Width: 1080, Height: 1350}
			if diff := cmp.Diff(want, *got, cmpopts.IgnoreFields(herald.StudioTemplate{}, "ID", "WorkspaceID", "CreatedAt", "UpdatedAt")); diff != "" {
				t.Errorf("studio template after concurrent updates (-want +got):\n%s", diff)
			}
		})
	})
}

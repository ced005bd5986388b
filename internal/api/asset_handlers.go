package api

import (
	"context"
	"net/http"

	"github.com/heraldhq/herald"
)

// Brand kits, hashtag libraries and studio templates are served by the same
// five generic handlers, each given the app's use case and the wire mapping.

func listAsset[T, R any](w http.ResponseWriter, r *http.Request, list func(context.Context, string) ([]*T, error), to func(*T) R) error {
	vs, err := list(r.Context(), r.URL.Query().Get("workspaceId"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, mapSlice(vs, to))
	return nil
}

func getAsset[T, R any](w http.ResponseWriter, r *http.Request, get func(context.Context, string, string) (*T, error), to func(*T) R) error {
	v, err := get(r.Context(), r.URL.Query().Get("workspaceId"), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, to(v))
	return nil
}

func createAsset[T, Q, R any](w http.ResponseWriter, r *http.Request, from func(Q) *T, create func(context.Context, string, *T) error, to func(*T) R) error {
	var req Q
	if err := decodeRequest(w, r, &req); err != nil {
		return err
	}
	v := from(req)
	if err := create(r.Context(), r.URL.Query().Get("workspaceId"), v); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, to(v))
	return nil
}

func updateAsset[T, P, R any](w http.ResponseWriter, r *http.Request, apply func(*T, P), update func(context.Context, string, string, func(*T) error) (*T, error), to func(*T) R) error {
	var patch P
	if err := decodeRequest(w, r, &patch); err != nil {
		return err
	}
	v, err := update(r.Context(), r.URL.Query().Get("workspaceId"), r.PathValue("id"), func(v *T) error { apply(v, patch); return nil })
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, to(v))
	return nil
}

func deleteAsset(w http.ResponseWriter, r *http.Request, del func(context.Context, string, string) error) error {
	if err := del(r.Context(), r.URL.Query().Get("workspaceId"), r.PathValue("id")); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, emptyResponse{})
	return nil
}

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// Brand kits.

func brandKitFrom(q brandKitRequest) *herald.BrandKit {
	return &herald.BrandKit{Name: q.Name, Description: q.Description, Colors: q.Colors, Fonts: q.Fonts, LogoURL: q.LogoURL, DoWords: q.DoWords, DontWords: q.DontWords}
}

func applyBrandKit(b *herald.BrandKit, p brandKitPatch) {
	set(&b.Name, p.Name)
	set(&b.Description, p.Description)
	set(&b.Colors, p.Colors)
	set(&b.Fonts, p.Fonts)
	set(&b.LogoURL, p.LogoURL)
	set(&b.DoWords, p.DoWords)
	set(&b.DontWords, p.DontWords)
}

func (h *Handler) listBrandKits(w http.ResponseWriter, r *http.Request) error {
	return listAsset(w, r, h.app.ListBrandKits, toBrandKit)
}
func (h *Handler) getBrandKit(w http.ResponseWriter, r *http.Request) error {
	return getAsset(w, r, h.app.GetBrandKit, toBrandKit)
}
func (h *Handler) createBrandKit(w http.ResponseWriter, r *http.Request) error {
	return createAsset(w, r, brandKitFrom, h.app.CreateBrandKit, toBrandKit)
}
func (h *Handler) updateBrandKit(w http.ResponseWriter, r *http.Request) error {
	return updateAsset(w, r, applyBrandKit, h.app.UpdateBrandKit, toBrandKit)
}
func (h *Handler) deleteBrandKit(w http.ResponseWriter, r *http.Request) error {
	return deleteAsset(w, r, h.app.DeleteBrandKit)
}

// Hashtag libraries.

func hashtagLibraryFrom(q hashtagLibraryRequest) *herald.HashtagLibrary {
	return &herald.HashtagLibrary{Name: q.Name, Hashtags: q.Hashtags}
}

func applyHashtagLibrary(h *herald.HashtagLibrary, p hashtagLibraryPatch) {
	set(&h.Name, p.Name)
	set(&h.Hashtags, p.Hashtags)
}

func (h *Handler) listHashtagLibraries(w http.ResponseWriter, r *http.Request) error {
	return listAsset(w, r, h.app.ListHashtagLibraries, toHashtagLibrary)
}
func (h *Handler) getHashtagLibrary(w http.ResponseWriter, r *http.Request) error {
	return getAsset(w, r, h.app.GetHashtagLibrary, toHashtagLibrary)
}
func (h *Handler) createHashtagLibrary(w http.ResponseWriter, r *http.Request) error {
	return createAsset(w, r, hashtagLibraryFrom, h.app.CreateHashtagLibrary, toHashtagLibrary)
}
func (h *Handler) updateHashtagLibrary(w http.ResponseWriter, r *http.Request) error {
	return updateAsset(w, r, applyHashtagLibrary, h.app.UpdateHashtagLibrary, toHashtagLibrary)
}
func (h *Handler) deleteHashtagLibrary(w http.ResponseWriter, r *http.Request) error {
	return deleteAsset(w, r, h.app.DeleteHashtagLibrary)
}

// Studio templates.

func studioTemplateFrom(q studioTemplateRequest) *herald.StudioTemplate {
	return &herald.StudioTemplate{Name: q.Name, Description: q.Description, ThumbnailURL: q.ThumbnailURL, Width: q.Width, Height: q.Height}
}

func applyStudioTemplate(s *herald.StudioTemplate, p studioTemplatePatch) {
	set(&s.Name, p.Name)
	set(&s.Description, p.Description)
	set(&s.ThumbnailURL, p.ThumbnailURL)
	set(&s.Width, p.Width)
	set(&s.Height, p.Height)
}

func (h *Handler) listStudioTemplates(w http.ResponseWriter, r *http.Request) error {
	return listAsset(w, r, h.app.ListStudioTemplates, toStudioTemplate)
}
func (h *Handler) getStudioTemplate(w http.ResponseWriter, r *http.Request) error {
	return getAsset(w, r, h.app.GetStudioTemplate, toStudioTemplate)
}
func (h *Handler) createStudioTemplate(w http.ResponseWriter, r *http.Request) error {
	return createAsset(w, r, studioTemplateFrom, h.app.CreateStudioTemplate, toStudioTemplate)
}
func (h *Handler) updateStudioTemplate(w http.ResponseWriter, r *http.Request) error {
	return updateAsset(w, r, applyStudioTemplate, h.app.UpdateStudioTemplate, toStudioTemplate)
}
func (h *Handler) deleteStudioTemplate(w http.ResponseWriter, r *http.Request) error {
	return deleteAsset(w, r, h.app.DeleteStudioTemplate)
}

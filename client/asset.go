package client

import (
	"context"
	"net/http"
	"time"
)

// BrandKit is a brand's voice and look, which AI drafts follow.
type BrandKit struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Colors      []string  `json:"colors"`
	Fonts       []string  `json:"fonts"`
	LogoURL     string    `json:"logoUrl"`
	DoWords     []string  `json:"doWords"`
	DontWords   []string  `json:"dontWords"`
	WorkspaceID string    `json:"workspaceId"`
	CreatedAt   time.Time `json:"createdAt"`
	UpdatedAt   time.Time `json:"updatedAt"`
}

// BrandKitInput is the body that creates a brand kit. Name is required.
type BrandKitInput struct {
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Colors      []string `json:"colors,omitempty"`
	Fonts       []string `json:"fonts,omitempty"`
	LogoURL     string   `json:"logoUrl,omitempty"`
	DoWords     []string `json:"doWords,omitempty"`
	DontWords   []string `json:"dontWords,omitempty"`
}

// BrandKitPatch changes the fields that are not nil.
type BrandKitPatch struct {
	Name        *string   `json:"name,omitempty"`
	Description *string   `json:"description,omitempty"`
	Colors      *[]string `json:"colors,omitempty"`
	Fonts       *[]string `json:"fonts,omitempty"`
	LogoURL     *string   `json:"logoUrl,omitempty"`
	DoWords     *[]string `json:"doWords,omitempty"`
	DontWords   *[]string `json:"dontWords,omitempty"`
}

// HashtagLibrary is a named set of hashtags.
type HashtagLibrary struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Hashtags    []string  `json:"hashtags"`
	WorkspaceID string    `json:"workspaceId"`
	CreatedAt   time.Time `json:"createdAt"`
	UpdatedAt   time.Time `json:"updatedAt"`
}

// HashtagLibraryInput is the body that creates a hashtag library. Herald
// adds a missing leading # and drops duplicates.
type HashtagLibraryInput struct {
	Name     string   `json:"name"`
	Hashtags []string `json:"hashtags,omitempty"`
}

// HashtagLibraryPatch changes the fields that are not nil.
type HashtagLibraryPatch struct {
	Name     *string   `json:"name,omitempty"`
	Hashtags *[]string `json:"hashtags,omitempty"`
}

// StudioTemplate is a design template that AI images can be based on.
type StudioTemplate struct {
	ID           string    `json:"id"`
	Name         string    `json:"name"`
	Description  string    `json:"description"`
	ThumbnailURL string    `json:"thumbnailUrl"`
	Width        int       `json:"width"`
	Height       int       `json:"height"`
	WorkspaceID  string    `json:"workspaceId"`
	CreatedAt    time.Time `json:"createdAt"`
	UpdatedAt    time.Time `json:"updatedAt"`
}

// StudioTemplateInput is the body that creates a studio template.
type StudioTemplateInput struct {
	Name         string `json:"name"`
	Description  string `json:"description,omitempty"`
	ThumbnailURL string `json:"thumbnailUrl,omitempty"`
	Width        int    `json:"width,omitempty"`
	Height       int    `json:"height,omitempty"`
}

// StudioTemplatePatch changes the fields that are not nil.
type StudioTemplatePatch struct {
	Name         *string `json:"name,omitempty"`
	Description  *string `json:"description,omitempty"`
	ThumbnailURL *string `json:"thumbnailUrl,omitempty"`
	Width        *int    `json:"width,omitempty"`
	Height       *int    `json:"height,omitempty"`
}

// Brand kits, hashtag libraries and studio templates share one shape of
// endpoints: list, create, get, patch, delete, all scoped by workspaceId.

func listIn[T any](ctx context.Context, c *Client, path, workspaceID string, opts []Option) ([]T, error) {
	var out []T
	if err := c.Do(ctx, http.MethodGet, path, wsQuery(workspaceID), nil, &out, opts...); err != nil {
		return nil, err
	}
	return out, nil
}

func sendIn[T any](ctx context.Context, c *Client, method, path, workspaceID string, in any, opts []Option) (*T, error) {
	var out T
	if err := c.Do(ctx, method, path, wsQuery(workspaceID), in, &out, opts...); err != nil {
		return nil, err
	}
	return &out, nil
}

// BrandKits lists a workspace's brand kits (GET /brand-kits).
func (c *Client) BrandKits(ctx context.Context, workspaceID string, opts ...Option) ([]BrandKit, error) {
	return listIn[BrandKit](ctx, c, "/brand-kits", workspaceID, opts)
}

// BrandKit returns one brand kit (GET /brand-kits/{id}, a Herald extension).
func (c *Client) BrandKit(ctx context.Context, workspaceID, id string, opts ...Option) (*BrandKit, error) {
	return sendIn[BrandKit](ctx, c, http.MethodGet, "/brand-kits/"+seg(id), workspaceID, nil, opts)
}

// CreateBrandKit creates a brand kit (POST /brand-kits, a Herald extension).
func (c *Client) CreateBrandKit(ctx context.Context, workspaceID string, in BrandKitInput, opts ...Option) (*BrandKit, error) {
	return sendIn[BrandKit](ctx, c, http.MethodPost, "/brand-kits", workspaceID, in, opts)
}

// UpdateBrandKit changes a brand kit (PATCH /brand-kits/{id}, a Herald
// extension) and returns it as it now is.
func (c *Client) UpdateBrandKit(ctx context.Context, workspaceID, id string, patch BrandKitPatch, opts ...Option) (*BrandKit, error) {
	return sendIn[BrandKit](ctx, c, http.MethodPatch, "/brand-kits/"+seg(id), workspaceID, patch, opts)
}

// DeleteBrandKit deletes a brand kit (DELETE /brand-kits/{id}, a Herald
// extension).
func (c *Client) DeleteBrandKit(ctx context.Context, workspaceID, id string, opts ...Option) error {
	_, err := sendIn[struct{}](ctx, c, http.MethodDelete, "/brand-kits/"+seg(id), workspaceID, nil, opts)
	return err
}

// HashtagLibraries lists a workspace's hashtag libraries (GET
// /hashtag-libraries).
func (c *Client) HashtagLibraries(ctx context.Context, workspaceID string, opts ...Option) ([]HashtagLibrary, error) {
	return listIn[HashtagLibrary](ctx, c, "/hashtag-libraries", workspaceID, opts)
}

// HashtagLibrary returns one hashtag library (GET /hashtag-libraries/{id},
// a Herald extension).
func (c *Client) HashtagLibrary(ctx context.Context, workspaceID, id string, opts ...Option) (*HashtagLibrary, error) {
	return sendIn[HashtagLibrary](ctx, c, http.MethodGet, "/hashtag-libraries/"+seg(id), workspaceID, nil, opts)
}

// CreateHashtagLibrary creates a hashtag library (POST /hashtag-libraries,
// a Herald extension).
func (c *Client) CreateHashtagLibrary(ctx context.Context, workspaceID string, in HashtagLibraryInput, opts ...Option) (*HashtagLibrary, error) {
	return sendIn[HashtagLibrary](ctx, c, http.MethodPost, "/hashtag-libraries", workspaceID, in, opts)
}

// UpdateHashtagLibrary changes a hashtag library (PATCH
// /hashtag-libraries/{id}, a Herald extension).
func (c *Client) UpdateHashtagLibrary(ctx context.Context, workspaceID, id string, patch HashtagLibraryPatch, opts ...Option) (*HashtagLibrary, error) {
	return sendIn[HashtagLibrary](ctx, c, http.MethodPatch, "/hashtag-libraries/"+seg(id), workspaceID, patch, opts)
}

// DeleteHashtagLibrary deletes a hashtag library (DELETE
// /hashtag-libraries/{id}, a Herald extension).
func (c *Client) DeleteHashtagLibrary(ctx context.Context, workspaceID, id string, opts ...Option) error {
	_, err := sendIn[struct{}](ctx, c, http.MethodDelete, "/hashtag-libraries/"+seg(id), workspaceID, nil, opts)
	return err
}

// StudioTemplates lists a workspace's studio templates (GET
// /studio-templates).
func (c *Client) StudioTemplates(ctx context.Context, workspaceID string, opts ...Option) ([]StudioTemplate, error) {
	return listIn[StudioTemplate](ctx, c, "/studio-templates", workspaceID, opts)
}

// StudioTemplate returns one studio template (GET /studio-templates/{id},
// a Herald extension).
func (c *Client) StudioTemplate(ctx context.Context, workspaceID, id string, opts ...Option) (*StudioTemplate, error) {
	return sendIn[StudioTemplate](ctx, c, http.MethodGet, "/studio-templates/"+seg(id), workspaceID, nil, opts)
}

// CreateStudioTemplate creates a studio template (POST /studio-templates,
// a Herald extension).
func (c *Client) CreateStudioTemplate(ctx context.Context, workspaceID string, in StudioTemplateInput, opts ...Option) (*StudioTemplate, error) {
	return sendIn[StudioTemplate](ctx, c, http.MethodPost, "/studio-templates", workspaceID, in, opts)
}

// UpdateStudioTemplate changes a studio template (PATCH
// /studio-templates/{id}, a Herald extension).
func (c *Client) UpdateStudioTemplate(ctx context.Context, workspaceID, id string, patch StudioTemplatePatch, opts ...Option) (*StudioTemplate, error) {
	return sendIn[StudioTemplate](ctx, c, http.MethodPatch, "/studio-templates/"+seg(id), workspaceID, patch, opts)
}

// DeleteStudioTemplate deletes a studio template (DELETE
// /studio-templates/{id}, a Herald extension).
func (c *Client) DeleteStudioTemplate(ctx context.Context, workspaceID, id string, opts ...Option) error {
	_, err := sendIn[struct{}](ctx, c, http.MethodDelete, "/studio-templates/"+seg(id), workspaceID, nil, opts)
	return err
}

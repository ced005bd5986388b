package sqlstore

import (
	"context"

	"github.com/heraldhq/herald"
)

// ---- brand kits

const brandKitCols = `id, workspace_id, name, description, colors, fonts, logo_url, do_words, dont_words, created_at, updated_at`

func scanBrandKit(row Row) (*herald.BrandKit, error) {
	var b herald.BrandKit
	var colors, fonts, do, dont string
	var created, updated int64
	if err := row.Scan(&b.ID, &b.WorkspaceID, &b.Name, &b.Description, &colors, &fonts, &b.LogoURL, &do, &dont, &created, &updated); err != nil {
		return nil, notFound("Brand kit", err)
	}
	var err error
	if b.Colors, err = parseList(colors); err != nil {
		return nil, err
	}
	if b.Fonts, err = parseList(fonts); err != nil {
		return nil, err
	}
	if b.DoWords, err = parseList(do); err != nil {
		return nil, err
	}
	if b.DontWords, err = parseList(dont); err != nil {
		return nil, err
	}
	b.CreatedAt, b.UpdatedAt = fromMS(created), fromMS(updated)
	return &b, nil
}

// CreateBrandKit implements store.Querier.
func (q *Queries) CreateBrandKit(ctx context.Context, b *herald.BrandKit) error {
	_, err := q.exec(ctx, `INSERT INTO brand_kits (`+brandKitCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		b.ID, b.WorkspaceID, b.Name, b.Description, jsonList(b.Colors), jsonList(b.Fonts), b.LogoURL, jsonList(b.DoWords), jsonList(b.DontWords), ms(b.CreatedAt), ms(b.UpdatedAt))
	return err
}

// FindBrandKitByID implements store.Querier.
func (q *Queries) FindBrandKitByID(ctx context.Context, id string) (*herald.BrandKit, error) {
	return scanBrandKit(q.queryRow(ctx, `SELECT `+brandKitCols+` FROM brand_kits WHERE id = ?`, id))
}

// FindBrandKits implements store.Querier.
func (q *Queries) FindBrandKits(ctx context.Context, workspaceID string) ([]*herald.BrandKit, error) {
	return collect(q, ctx, scanBrandKit, `SELECT `+brandKitCols+` FROM brand_kits WHERE workspace_id = ? ORDER BY created_at, id`, workspaceID)
}

// UpdateBrandKit implements store.Querier.
func (q *Queries) UpdateBrandKit(ctx context.Context, b *herald.BrandKit) error {
	return q.execOne(ctx, "Brand kit", `UPDATE brand_kits SET name = ?, description = ?, colors = ?, fonts = ?, logo_url = ?, do_words = ?, dont_words = ?, updated_at = ? WHERE id = ?`,
		b.Name, b.Description, jsonList(b.Colors), jsonList(b.Fonts), b.LogoURL, jsonList(b.DoWords), jsonList(b.DontWords), ms(b.UpdatedAt), b.ID)
}

// DeleteBrandKit implements store.Querier.
func (q *Queries) DeleteBrandKit(ctx context.Context, id string) error {
	return q.execOne(ctx, "Brand kit", `DELETE FROM brand_kits WHERE id = ?`, id)
}

// LockBrandKit implements store.Querier.
func (q *Queries) LockBrandKit(ctx context.Context, id string) error {
	return q.lockRow(ctx, "Brand kit", "brand_kits", id)
}

// ---- hashtag libraries

const hashtagCols = `id, workspace_id, name, hashtags, created_at, updated_at`

func scanHashtagLibrary(row Row) (*herald.HashtagLibrary, error) {
	var h herald.HashtagLibrary
	var tags string
	var created, updated int64
	if err := row.Scan(&h.ID, &h.WorkspaceID, &h.Name, &tags, &created, &updated); err != nil {
		return nil, notFound("Hashtag library", err)
	}
	var err error
	if h.Hashtags, err = parseList(tags); err != nil {
		return nil, err
	}
	h.CreatedAt, h.UpdatedAt = fromMS(created), fromMS(updated)
	return &h, nil
}

// CreateHashtagLibrary implements store.Querier.
func (q *Queries) CreateHashtagLibrary(ctx context.Context, h *herald.HashtagLibrary) error {
	_, err := q.exec(ctx, `INSERT INTO hashtag_libraries (`+hashtagCols+`) VALUES (?, ?, ?, ?, ?, ?)`,
		h.ID, h.WorkspaceID, h.Name, jsonList(h.Hashtags), ms(h.CreatedAt), ms(h.UpdatedAt))
	return err
}

// FindHashtagLibraryByID implements store.Querier.
func (q *Queries) FindHashtagLibraryByID(ctx context.Context, id string) (*herald.HashtagLibrary, error) {
	return scanHashtagLibrary(q.queryRow(ctx, `SELECT `+hashtagCols+` FROM hashtag_libraries WHERE id = ?`, id))
}

// FindHashtagLibraries implements store.Querier.
func (q *Queries) FindHashtagLibraries(ctx context.Context, workspaceID string) ([]*herald.HashtagLibrary, error) {
	return collect(q, ctx, scanHashtagLibrary, `SELECT `+hashtagCols+` FROM hashtag_libraries WHERE workspace_id = ? ORDER BY created_at, id`, workspaceID)
}

// UpdateHashtagLibrary implements store.Querier.
func (q *Queries) UpdateHashtagLibrary(ctx context.Context, h *herald.HashtagLibrary) error {
	return q.execOne(ctx, "Hashtag library", `UPDATE hashtag_libraries SET name = ?, hashtags = ?, updated_at = ? WHERE id = ?`,
		h.Name, jsonList(h.Hashtags), ms(h.UpdatedAt), h.ID)
}

// DeleteHashtagLibrary implements store.Querier.
func (q *Queries) DeleteHashtagLibrary(ctx context.Context, id string) error {
	return q.execOne(ctx, "Hashtag library", `DELETE FROM hashtag_libraries WHERE id = ?`, id)
}

// LockHashtagLibrary implements store.Querier.
func (q *Queries) LockHashtagLibrary(ctx context.Context, id string) error {
	return q.lockRow(ctx, "Hashtag library", "hashtag_libraries", id)
}

// ---- studio templates

const templateCols = `id, workspace_id, name, description, thumbnail_url, width, height, created_at, updated_at`

func scanStudioTemplate(row Row) (*herald.StudioTemplate, error) {
	var s herald.StudioTemplate
	var w, h, created, updated int64
	if err := row.Scan(&s.ID, &s.WorkspaceID, &s.Name, &s.Description, &s.ThumbnailURL, &w, &h, &created, &updated); err != nil {
		return nil, notFound("Studio template", err)
	}
	s.Width, s.Height = int(w), int(h)
	s.CreatedAt, s.UpdatedAt = fromMS(created), fromMS(updated)
	return &s, nil
}

// CreateStudioTemplate implements store.Querier.
func (q *Queries) CreateStudioTemplate(ctx context.Context, s *herald.StudioTemplate) error {
	_, err := q.exec(ctx, `INSERT INTO studio_templates (`+templateCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		s.ID, s.WorkspaceID, s.Name, s.Description, s.ThumbnailURL, s.Width, s.Height, ms(s.CreatedAt), ms(s.UpdatedAt))
	return err
}

// FindStudioTemplateByID implements store.Querier.
func (q *Queries) FindStudioTemplateByID(ctx context.Context, id string) (*herald.StudioTemplate, error) {
	return scanStudioTemplate(q.queryRow(ctx, `SELECT `+templateCols+` FROM studio_templates WHERE id = ?`, id))
}

// FindStudioTemplates implements store.Querier.
func (q *Queries) FindStudioTemplates(ctx context.Context, workspaceID string) ([]*herald.StudioTemplate, error) {
	return collect(q, ctx, scanStudioTemplate, `SELECT `+templateCols+` FROM studio_templates WHERE workspace_id = ? ORDER BY created_at, id`, workspaceID)
}

// UpdateStudioTemplate implements store.Querier.
func (q *Queries) UpdateStudioTemplate(ctx context.Context, s *herald.StudioTemplate) error {
	return q.execOne(ctx, "Studio template", `UPDATE studio_templates SET name = ?, description = ?, thumbnail_url = ?, width = ?, height = ?, updated_at = ? WHERE id = ?`,
		s.Name, s.Description, s.ThumbnailURL, s.Width, s.Height, ms(s.UpdatedAt), s.ID)
}

// DeleteStudioTemplate implements store.Querier.
func (q *Queries) DeleteStudioTemplate(ctx context.Context, id string) error {
	return q.execOne(ctx, "Studio template", `DELETE FROM studio_templates WHERE id = ?`, id)
}

// LockStudioTemplate implements store.Querier.
func (q *Queries) LockStudioTemplate(ctx context.Context, id string) error {
	return q.lockRow(ctx, "Studio template", "studio_templates", id)
}

// lockRow locks the row of table with id until the transaction ends: FOR
// UPDATE on PostgreSQL; on SQLite the write transaction (BEGIN IMMEDIATE)
// already holds the database's one write lock. It reads through the writer,
// so that SQLite takes the row in the write transaction.
func (q *Queries) lockRow(ctx context.Context, what, table, id string) error {
	var got string
	err := q.w.QueryRow(ctx, q.sql(`SELECT id FROM `+table+` WHERE id = ?`+q.d.ForUpdate), id).Scan(&got)
	return notFound(what, err)
}

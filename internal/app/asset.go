package app

import (
	"context"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/store"
)

// Brand kits, hashtag libraries and studio templates share one shape of
// use case: list for members, change for writers, ids of other workspaces
// are not found.

// ListBrandKits lists a workspace's brand kits.
func (a *Assets) ListBrandKits(ctx context.Context, workspaceID string) ([]*herald.BrandKit, error) {
	if _, err := a.member(ctx, a.store, workspaceID); err != nil {
		return nil, err
	}
	return orEmpty(a.store.FindBrandKits(ctx, workspaceID))
}

// GetBrandKit returns one brand kit.
func (a *Assets) GetBrandKit(ctx context.Context, workspaceID, id string) (*herald.BrandKit, error) {
	if _, err := a.member(ctx, a.store, workspaceID); err != nil {
		return nil, err
	}
	return inWorkspace(a.store.FindBrandKitByID, ctx, workspaceID, id, "Brand kit", func(b *herald.BrandKit) string { return b.WorkspaceID })
}

// CreateBrandKit creates a brand kit.
func (a *Assets) CreateBrandKit(ctx context.Context, workspaceID string, b *herald.BrandKit) error {
	if _, err := a.writer(ctx, a.store, workspaceID, "change brand kits"); err != nil {
		return err
	}
	if err := b.Validate(); err != nil {
		return err
	}
	now := a.Now()
	b.ID, b.WorkspaceID, b.CreatedAt, b.UpdatedAt = herald.NewID(), workspaceID, now, now
	return a.store.CreateBrandKit(ctx, b)
}

// UpdateBrandKit applies fn to a brand kit and saves it. The row is
// read, changed and written in one transaction with the row locked, so that
// concurrent updates of different fields do not overwrite each other.
func (a *Assets) UpdateBrandKit(ctx context.Context, workspaceID, id string, fn func(*herald.BrandKit) error) (*herald.BrandKit, error) {
	if _, err := a.writer(ctx, a.store, workspaceID, "change brand kits"); err != nil {
		return nil, err
	}
	var b *herald.BrandKit
	err := a.store.InTx(ctx, func(tx store.Tx) error {
		var err error
		b, err = lockedInWorkspace(ctx, tx.LockBrandKit, tx.FindBrandKitByID, workspaceID, id, "Brand kit", func(b *herald.BrandKit) string { return b.WorkspaceID })
		if err != nil {
			return err
		}
		if err := fn(b); err != nil {
			return err
		}
		if err := b.Validate(); err != nil {
			return err
		}
		b.UpdatedAt = a.Now()
		return tx.UpdateBrandKit(ctx, b)
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}

// DeleteBrandKit deletes a brand kit.
func (a *Assets) DeleteBrandKit(ctx context.Context, workspaceID, id string) error {
	if _, err := a.writer(ctx, a.store, workspaceID, "change brand kits"); err != nil {
		return err
	}
	if _, err := inWorkspace(a.store.FindBrandKitByID, ctx, workspaceID, id, "Brand kit", func(b *herald.BrandKit) string { return b.WorkspaceID }); err != nil {
		return err
	}
	return a.store.DeleteBrandKit(ctx, id)
}

// ListHashtagLibraries lists a workspace's hashtag libraries.
func (a *Assets) ListHashtagLibraries(ctx context.Context, workspaceID string) ([]*herald.HashtagLibrary, error) {
	if _, err := a.member(ctx, a.store, workspaceID); err != nil {
		return nil, err
	}
	return orEmpty(a.store.FindHashtagLibraries(ctx, workspaceID))
}

// GetHashtagLibrary returns one hashtag library.
func (a *Assets) GetHashtagLibrary(ctx context.Context, workspaceID, id string) (*herald.HashtagLibrary, error) {
	if _, err := a.member(ctx, a.store, workspaceID); err != nil {
		return nil, err
	}
	return inWorkspace(a.store.FindHashtagLibraryByID, ctx, workspaceID, id, "Hashtag library", func(h *herald.HashtagLibrary) string { return h.WorkspaceID })
}

// CreateHashtagLibrary creates a hashtag library.
func (a *Assets) CreateHashtagLibrary(ctx context.Context, workspaceID string, h *herald.HashtagLibrary) error {
	if _, err := a.writer(ctx, a.store, workspaceID, "change hashtag libraries"); err != nil {
		return err
	}
	h.Normalize()
	if err := h.Validate(); err != nil {
		return err
	}
	now := a.Now()
	h.ID, h.WorkspaceID, h.CreatedAt, h.UpdatedAt = herald.NewID(), workspaceID, now, now
	return a.store.CreateHashtagLibrary(ctx, h)
}

// UpdateHashtagLibrary applies fn to a hashtag library and saves it. The row is
// read, changed and written in one transaction with the row locked, so that
// concurrent updates of different fields do not overwrite each other.
func (a *Assets) UpdateHashtagLibrary(ctx context.Context, workspaceID, id string, fn func(*herald.HashtagLibrary) error) (*herald.HashtagLibrary, error) {
	if _, err := a.writer(ctx, a.store, workspaceID, "change hashtag libraries"); err != nil {
		return nil, err
	}
	var h *herald.HashtagLibrary
	err := a.store.InTx(ctx, func(tx store.Tx) error {
		var err error
		h, err = lockedInWorkspace(ctx, tx.LockHashtagLibrary, tx.FindHashtagLibraryByID, workspaceID, id, "Hashtag library", func(h *herald.HashtagLibrary) string { return h.WorkspaceID })
		if err != nil {
			return err
		}
		if err := fn(h); err != nil {
			return err
		}
		h.Normalize()
		if err := h.Validate(); err != nil {
			return err
		}
		h.UpdatedAt = a.Now()
		return tx.UpdateHashtagLibrary(ctx, h)
	})
	if err != nil {
		return nil, err
	}
	return h, nil
}

// DeleteHashtagLibrary deletes a hashtag library.
func (a *Assets) DeleteHashtagLibrary(ctx context.Context, workspaceID, id string) error {
	if _, err := a.writer(ctx, a.store, workspaceID, "change hashtag libraries"); err != nil {
		return err
	}
	if _, err := inWorkspace(a.store.FindHashtagLibraryByID, ctx, workspaceID, id, "Hashtag library", func(h *herald.HashtagLibrary) string { return h.WorkspaceID }); err != nil {
		return err
	}
	return a.store.DeleteHashtagLibrary(ctx, id)
}

// ListStudioTemplates lists a workspace's studio templates.
func (a *Assets) ListStudioTemplates(ctx context.Context, workspaceID string) ([]*herald.StudioTemplate, error) {
	if _, err := a.member(ctx, a.store, workspaceID); err != nil {
		return nil, err
	}
	return orEmpty(a.store.FindStudioTemplates(ctx, workspaceID))
}

// GetStudioTemplate returns one studio template.
func (a *Assets) GetStudioTemplate(ctx context.Context, workspaceID, id string) (*herald.StudioTemplate, error) {
	if _, err := a.member(ctx, a.store, workspaceID); err != nil {
		return nil, err
	}
	return inWorkspace(a.store.FindStudioTemplateByID, ctx, workspaceID, id, "Studio template", func(s *herald.StudioTemplate) string { return s.WorkspaceID })
}

// CreateStudioTemplate creates a studio template.
func (a *Assets) CreateStudioTemplate(ctx context.Context, workspaceID string, s *herald.StudioTemplate) error {
	if _, err := a.writer(ctx, a.store, workspaceID, "change studio templates"); err != nil {
		return err
	}
	if err := s.Validate(); err != nil {
		return err
	}
	now := a.Now()
	s.ID, s.WorkspaceID, s.CreatedAt, s.UpdatedAt = herald.NewID(), workspaceID, now, now
	return a.store.CreateStudioTemplate(ctx, s)
}

// UpdateStudioTemplate applies fn to a studio template and saves it. The row is
// read, changed and written in one transaction with the row locked, so that
// concurrent updates of different fields do not overwrite each other.
func (a *Assets) UpdateStudioTemplate(ctx context.Context, workspaceID, id string, fn func(*herald.StudioTemplate) error) (*herald.StudioTemplate, error) {
	if _, err := a.writer(ctx, a.store, workspaceID, "change studio templates"); err != nil {
		return nil, err
	}
	var s *herald.StudioTemplate
	err := a.store.InTx(ctx, func(tx store.Tx) error {
		var err error
		s, err = lockedInWorkspace(ctx, tx.LockStudioTemplate, tx.FindStudioTemplateByID, workspaceID, id, "Studio template", func(s *herald.StudioTemplate) string { return s.WorkspaceID })
		if err != nil {
			return err
		}
		if err := fn(s); err != nil {
			return err
		}
		if err := s.Validate(); err != nil {
			return err
		}
		s.UpdatedAt = a.Now()
		return tx.UpdateStudioTemplate(ctx, s)
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// DeleteStudioTemplate deletes a studio template.
func (a *Assets) DeleteStudioTemplate(ctx context.Context, workspaceID, id string) error {
	if _, err := a.writer(ctx, a.store, workspaceID, "change studio templates"); err != nil {
		return err
	}
	if _, err := inWorkspace(a.store.FindStudioTemplateByID, ctx, workspaceID, id, "Studio template", func(s *herald.StudioTemplate) string { return s.WorkspaceID }); err != nil {
		return err
	}
	return a.store.DeleteStudioTemplate(ctx, id)
}

// inWorkspace finds an entity by id and answers not found when it belongs
// to another workspace, so that ids of other workspaces reveal nothing.
func inWorkspace[T any](find func(context.Context, string) (*T, error), ctx context.Context, workspaceID, id, what string, ws func(*T) string) (*T, error) {
	nf := herald.Errorf(herald.ENOTFOUND, "%s %q not found.", what, id)
	if !herald.ValidID(id) {
		return nil, nf
	}
	v, err := find(ctx, id)
	if herald.ErrorCode(err) == herald.ENOTFOUND || (err == nil && ws(v) != workspaceID) {
		return nil, nf
	}
	return v, err
}

// lockedInWorkspace is inWorkspace inside a transaction: it locks the row
// before reading it, so that the caller's change is made on the latest
// version and no other transaction changes the row until this one ends.
func lockedInWorkspace[T any](ctx context.Context, lock func(context.Context, string) error, find func(context.Context, string) (*T, error), workspaceID, id, what string, ws func(*T) string) (*T, error) {
	return inWorkspace(func(ctx context.Context, id string) (*T, error) {
		if err := lock(ctx, id); err != nil {
			return nil, err
		}
		return find(ctx, id)
	}, ctx, workspaceID, id, what, ws)
}

func orEmpty[T any](v []*T, err error) ([]*T, error) {
	if v == nil && err == nil {
		v = []*T{}
	}
	return v, err
}

package store

import (
	"context"
	"errors"
	"time"

	"github.com/heraldhq/herald"
)

// MediaQuerier is the media part of Querier: the library's rows, the derived
// copies, which post uses which file, and the blobs of the media store.
// Originals have ParentID ""; a derived copy names its original and the
// network it was made for.
type MediaQuerier interface {
	CreateMedia(ctx context.Context, m *herald.Media) error
	FindMediaByID(ctx context.Context, id string) (*herald.Media, error)
	// FindMediaBySHA256 returns the workspace's oldest original with these
	// bytes, so that the same file sent twice is stored once.
	FindMediaBySHA256(ctx context.Context, workspaceID, sha256 string) (*herald.Media, error)
	// FindMedia lists a workspace's originals, newest first.
	FindMedia(ctx context.Context, f herald.MediaFilter) ([]*herald.Media, error)
	// FindMediaDerivative returns the copy of an original made for a network.
	FindMediaDerivative(ctx context.Context, parentID, network string) (*herald.Media, error)
	UpdateMediaAltText(ctx context.Context, id, altText string) error
	// TouchMedia sets TouchedAt of the given media to at.
	TouchMedia(ctx context.Context, ids []string, at time.Time) error
	// DeleteMedia deletes an original with its derived copies and takes it
	// out of the posts that list it (the caller checks which those are):
	// their media no longer name it.
	DeleteMedia(ctx context.Context, id string) error
	// LockMedia locks a media row until the transaction ends. A post that
	// starts using the file locks it too (the foreign key of post_media), so
	// after LockMedia FindMediaUses sees every use that committed meanwhile:
	// a deletion checks its uses under it.
	LockMedia(ctx context.Context, id string) error
	// WorkspaceMediaBytes sums the sizes of a workspace's media, derived
	// copies included.
	WorkspaceMediaBytes(ctx context.Context, workspaceID string) (int64, error)

	// SetPostMedia makes media the post's attachments, in order (MediaID,
	// SourceURL and AltText are stored; Kind and MIME are the file's), and
	// touches (at) both the media it adds and those it takes away. A
	// MediaID naming no file is ErrNoSuchMedia (code ENOTFOUND).
	SetPostMedia(ctx context.Context, postID string, media []herald.PostMedia, at time.Time) error
	// FindMediaUses lists the posts that use a media file.
	FindMediaUses(ctx context.Context, mediaID string) ([]MediaUse, error)

	// FindUnusedMedia lists originals that no post uses and that were
	// touched before before, oldest first, at most limit.
	FindUnusedMedia(ctx context.Context, before time.Time, limit int) ([]*herald.Media, error)
	// DeleteMediaIfUnused deletes an original with its derived copies if no
	// post uses it and it was touched before before, checked in the same
	// statement; it reports whether it did.
	DeleteMediaIfUnused(ctx context.Context, id string, before time.Time) (bool, error)

	// TouchMediaBlob records that a blob was stored at at.
	TouchMediaBlob(ctx context.Context, sha256 string, size int64, at time.Time) error
	// FindOrphanMediaBlobs lists blobs that no media row names and that
	// were touched before before, at most limit.
	FindOrphanMediaBlobs(ctx context.Context, before time.Time, limit int) ([]string, error)
	// DeleteMediaBlobIfOrphan deletes a blob's row if no media row names it
	// and it was touched before before, checked in the same statement; it
	// reports whether it did. The caller deletes the blob itself in the same
	// transaction, so that a concurrent TouchMediaBlob waits for the outcome.
	DeleteMediaBlobIfOrphan(ctx context.Context, sha256 string, before time.Time) (bool, error)
}

// ErrNoSuchMedia is the error (wrapped in a *herald.Error with code
// ENOTFOUND) of CreatePost and SetPostMedia when an attachment names a media
// file that does not exist, deleted after the caller last saw it.
var ErrNoSuchMedia = errors.New("store: the post names a media file that does not exist")

// MediaUse is a post that uses a media file.
type MediaUse struct {
	PostID string
	Status herald.PostStatus
}

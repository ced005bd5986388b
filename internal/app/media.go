package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/media"
	"github.com/heraldhq/herald/internal/provider"
	"github.com/heraldhq/herald/internal/store"
)

// Media: the files of posts and of each workspace's library.
//
// A post's mediaUrls are downloaded when the post is created, changed or
// validated, outside any database transaction (a download may take a
// minute), checked (type from the bytes, size caps, per-network rules) and
// stored under their SHA-256; the post then names the stored files, so what
// is published is exactly what was checked. A URL of a file already on this
// Herald (the url of POST /media, or of a post's creatives) is used without
// downloading.
//
// Where a network's rule can be met without visible loss (PNG to JPEG for
// Instagram, a smaller copy for Bluesky), a derived copy is made once per
// (file, network) and kept beside the original; TargetMedia hands each
// target the copy made for its network.
//
// Files no post uses are collected GCAge after a post last stopped using
// them (CollectMedia, run by a MediaCollector); blobs no row names go a
// grace time after they were last stored.

// MediaConfig configures the media component.
type MediaConfig struct {
	// Store keeps the files' bytes: a media.LocalStore or media.S3Store.
	Store media.Store
	// Fetcher downloads mediaUrls under the address policy
	// (HERALD_ALLOW_PRIVATE_NETWORKS).
	Fetcher *media.Fetcher
	// Limits cap each file's size per type (5 MiB each by default, as
	// Ocoya) and images' pixels.
	Limits media.Limits
	// TempDir holds files while they are checked (default os.TempDir()).
	TempDir string
	// Quota caps the bytes of one workspace's files, derived copies
	// included; 0 means no quota.
	Quota int64
	// GCAge is how long a file no post uses is kept (default 7 days).
	GCAge time.Duration
	// BlobGrace is how long a blob no file names is kept after it was last
	// stored (default 1 hour): a file being stored right now is never
	// collected before its row is written.
	BlobGrace time.Duration
	// Downloads bounds the files of one post downloaded at once (default 4).
	Downloads int
}

// DefaultMediaGCAge is how long unused media are kept by default.
const DefaultMediaGCAge = 7 * 24 * time.Hour

// MediaService is the media component the application layer uses.
type MediaService struct {
	cfg      MediaConfig
	ingester *media.Ingester
}

// NewMediaService returns the media component for cfg.
func NewMediaService(cfg MediaConfig) *MediaService {
	if cfg.GCAge <= 0 {
		cfg.GCAge = DefaultMediaGCAge
	}
	if cfg.BlobGrace <= 0 {
		cfg.BlobGrace = time.Hour
	}
	if cfg.Downloads <= 0 {
		cfg.Downloads = 4
	}
	in := media.NewIngester(media.IngesterConfig{Store: cfg.Store, Fetcher: cfg.Fetcher, Limits: cfg.Limits, TempDir: cfg.TempDir})
	cfg.Limits = in.Limits()
	return &MediaService{cfg: cfg, ingester: in}
}

// Config returns the configuration in force, defaults filled in.
func (m *MediaService) Config() MediaConfig { return m.cfg }

// MaxUploadBytes is the largest file any type accepts: the cap for an
// upload's request body (plus room for the form).
func (m *MediaService) MaxUploadBytes() int64 {
	l := m.cfg.Limits
	return max(l.ImageMaxBytes, l.GIFMaxBytes, l.VideoMaxBytes)
}

// Media returns the media component, or nil.
func (a *Services) Media() *MediaService { return a.media }

func (a *Services) mediaService() (*MediaService, error) {
	if a.media == nil {
		return nil, herald.Errorf(herald.EUNAVAILABLE, "This Herald has no media storage configured.")
	}
	return a.media, nil
}

// ---- URLs

// mediaExt names a type in public URLs, so that networks and browsers that
// go by the name see the right one.
var mediaExt = map[string]string{
	media.MIMEPNG: "png", media.MIMEJPEG: "jpg", media.MIMEGIF: "gif", media.MIMEWebP: "webp",
	media.MIMEMP4: "mp4", media.MIMEQuickTime: "mov",
}

// MediaPath is where the public media endpoint is mounted.
const MediaPath = "/media/"

// MediaURL returns the public, unguessable URL of a stored file: its id is
// 124 random bits.
func (a *Services) MediaURL(m *herald.Media) string {
	return a.mediaURL(m.ID, m.MIME)
}

// PostMediaURL returns where a post's attachment is served: the stored
// file's public URL, or the source URL of an attachment saved before Herald
// stored files.
func (a *Services) PostMediaURL(m herald.PostMedia) string {
	if m.MediaID == "" {
		return m.SourceURL
	}
	return a.mediaURL(m.MediaID, m.MIME)
}

func (a *Services) mediaURL(id, mime string) string {
	return a.cfg.PublicURL + MediaPath + id + "." + mediaExt[mime]
}

// mediaIDFromURL returns the id of a file of this Herald named by raw.
func (a *MediaLibrary) mediaIDFromURL(raw string) (id, ext string, ok bool) {
	prefix := a.cfg.PublicURL + MediaPath
	if a.cfg.PublicURL == "" || len(raw) <= len(prefix) || !strings.EqualFold(raw[:len(prefix)], prefix) {
		return "", "", false
	}
	return splitMediaFile(raw[len(prefix):])
}

// splitMediaFile splits "{id}.{ext}".
func splitMediaFile(file string) (id, ext string, ok bool) {
	id, ext, ok = strings.Cut(file, ".")
	if !ok || !herald.ValidID(id) || strings.ContainsAny(ext, "./?#") {
		return "", "", false
	}
	return id, ext, true
}

// PublicMedia returns the file that a public media URL's last segment
// ("{id}.{ext}") names, and the store holding its bytes. It needs no user:
// networks fetch these URLs. Anything else is not found.
func (a *MediaLibrary) PublicMedia(ctx context.Context, file string) (*herald.Media, media.Store, error) {
	nf := herald.Errorf(herald.ENOTFOUND, "No such media.")
	ms, err := a.mediaService()
	if err != nil {
		return nil, nil, err
	}
	id, ext, ok := splitMediaFile(file)
	if !ok {
		return nil, nil, nf
	}
	m, err := a.store.FindMediaByID(ctx, id)
	if herald.ErrorCode(err) == herald.ENOTFOUND || (err == nil && mediaExt[m.MIME] != ext) {
		return nil, nil, nf
	} else if err != nil {
		return nil, nil, err
	}
	return m, ms.cfg.Store, nil
}

// ---- errors

// mediaError turns a *media.Error into a 400 naming the field, the URL (or
// upload) and the reason; other errors are Herald's and stay as they are.
func mediaError(field string, err error) error {
	var me *media.Error
	if errors.As(err, &me) {
		return &herald.Error{Code: herald.EINVALID, Message: fmt.Sprintf("%s: %s: %s", field, me.URL, me.Reason), Err: err}
	}
	return err
}

// formatBytes writes a size for messages.
func formatBytes(n int64) string {
	switch {
	case n < 1000:
		return fmt.Sprintf("%d bytes", n)
	case n < 1_000_000:
		return fmt.Sprintf("%.1f KB", float64(n)/1e3)
	case n < 1_000_000_000:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	}
	return fmt.Sprintf("%.2f GB", float64(n)/1e9)
}

// ---- storing files

func (a *Services) newMedia(workspaceID string, info *media.Info) *herald.Media {
	now := a.Now()
	return &herald.Media{ID: herald.NewID(), WorkspaceID: workspaceID, MediaInfo: *info, CreatedAt: now, TouchedAt: now}
}

// errBlobVanished means the collector deleted a blob as the same bytes were
// being stored again.
var errBlobVanished = errors.New("media: blob collected while it was being stored")

// recordBlob records that a blob was just stored and checks that it is
// still there. Recording first makes it young, so the collector leaves it
// alone from now on; checking after catches a collection that ran between
// the ingester's store and the record (the collector deletes a blob in the
// same transaction as its row, so the record waited for it).
func (a *Services) recordBlob(ctx context.Context, ms *MediaService, sha string, size int64) error {
	if err := a.store.TouchMediaBlob(ctx, sha, size, a.Now()); err != nil {
		return err
	}
	if _, err := ms.cfg.Store.Stat(ctx, sha); errors.Is(err, media.ErrNotFound) {
		return errBlobVanished
	} else if err != nil {
		return err
	}
	return nil
}

// ingest runs fn (an ingester call) and records its blob. A blob collected
// under its feet is stored again when retry is set (a URL can be fetched
// again; an upload cannot be read twice).
func (a *MediaLibrary) ingest(ctx context.Context, ms *MediaService, retry bool, fn func() (*media.Info, error)) (*media.Info, error) {
	for attempt := 0; ; attempt++ {
		info, err := fn()
		if err != nil {
			return nil, err
		}
		err = a.recordBlob(ctx, ms, info.SHA256, info.Size)
		if errors.Is(err, errBlobVanished) && retry && attempt == 0 {
			continue
		}
		if errors.Is(err, errBlobVanished) {
			return nil, &herald.Error{Code: herald.EUNAVAILABLE, Message: "The media store was cleaning up while the file was stored; send it again.", Err: err}
		}
		if err != nil {
			return nil, err
		}
		return info, nil
	}
}

// saveMedia stores m's row, or, with reuse, returns the workspace's file
// with the same bytes (touched, so the collector spares it). The quota is
// checked in the transaction that adds the row.
func (a *MediaLibrary) saveMedia(ctx context.Context, ms *MediaService, m *herald.Media, field, name string, reuse bool) (*herald.Media, error) {
	out := m
	err := a.store.InTx(ctx, func(tx store.Tx) error {
		if reuse {
			ex, err := tx.FindMediaBySHA256(ctx, m.WorkspaceID, m.SHA256)
			if err == nil {
				out = ex
				return tx.TouchMedia(ctx, []string{ex.ID}, a.Now())
			} else if herald.ErrorCode(err) != herald.ENOTFOUND {
				return err
			}
		}
		if q := ms.cfg.Quota; q > 0 {
			used, err := tx.WorkspaceMediaBytes(ctx, m.WorkspaceID)
			if err != nil {
				return err
			}
			if used+m.Size > q {
				return herald.Errorf(herald.ETOOLARGE, "%s: %s: the workspace's media storage is full: it holds %s of its %s quota and this file is %s; delete media no post uses (DELETE /media/{id}) and try again",
					field, name, formatBytes(used), formatBytes(q), formatBytes(m.Size))
			}
		}
		return tx.CreateMedia(ctx, m)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ingestURL returns the stored original of the workspace for one entry of
// mediaUrls: a file of this Herald named by its URL, or the download.
func (a *MediaLibrary) ingestURL(ctx context.Context, ms *MediaService, workspaceID, userID, field, raw string) (*herald.Media, error) {
	if id, ext, ok := a.mediaIDFromURL(raw); ok {
		return a.adoptMedia(ctx, ms, workspaceID, userID, field, raw, id, ext)
	}
	info, err := a.ingest(ctx, ms, true, func() (*media.Info, error) { return ms.ingester.IngestURL(ctx, raw) })
	if err != nil {
		return nil, mediaError(field, err)
	}
	m := a.newMedia(workspaceID, info)
	m.SourceURL, m.CreatedBy = raw, userID
	return a.saveMedia(ctx, ms, m, field, raw, true)
}

// adoptMedia resolves a URL of a file stored on this Herald. A file of the
// workspace is used as it is; another workspace's file (its URL is public,
// so its bytes are no secret, but its alt text is not copied) or a derived
// copy becomes a file of this workspace with the same bytes, without
// downloading.
func (a *MediaLibrary) adoptMedia(ctx context.Context, ms *MediaService, workspaceID, userID, field, raw, id, ext string) (*herald.Media, error) {
	src, err := a.store.FindMediaByID(ctx, id)
	if herald.ErrorCode(err) == herald.ENOTFOUND || (err == nil && mediaExt[src.MIME] != ext) {
		return nil, herald.Errorf(herald.EINVALID, "%s: %s: no such media on this Herald (it may have been deleted)", field, raw)
	} else if err != nil {
		return nil, err
	}
	if src.WorkspaceID == workspaceID && src.ParentID == "" {
		return src, a.store.TouchMedia(ctx, []string{src.ID}, a.Now())
	}
	if err := a.recordBlob(ctx, ms, src.SHA256, src.Size); errors.Is(err, errBlobVanished) {
		return nil, herald.Errorf(herald.EINVALID, "%s: %s: no such media on this Herald (it has been deleted)", field, raw)
	} else if err != nil {
		return nil, err
	}
	m := a.newMedia(workspaceID, &src.MediaInfo)
	m.SourceURL, m.CreatedBy = raw, userID
	if src.WorkspaceID == workspaceID {
		// Only the bytes are public; alt text is library text of the
		// workspace that wrote it.
		m.AltText = src.AltText
	}
	return a.saveMedia(ctx, ms, m, field, raw, true)
}

// ---- posts

// preparedMedia is a post's files, stored and checked, ready to be named by
// the post.
type preparedMedia struct {
	items []*herald.Media
	list  []herald.PostMedia
}

func (a *MediaLibrary) prepared(items []*herald.Media, sources []string) *preparedMedia {
	pm := &preparedMedia{items: items, list: make([]herald.PostMedia, len(items))}
	for i, m := range items {
		pm.list[i] = herald.PostMedia{SourceURL: sources[i], MediaID: m.ID, Kind: m.Kind, MIME: m.MIME, AltText: m.AltText}
	}
	return pm
}

func networksOf(targets []*herald.PostTarget) []string {
	out := make([]string, 0, len(targets))
	for _, t := range targets {
		out = append(out, t.Provider)
	}
	return out
}

// prepareMedia downloads (or finds) the files of urls for a post of the
// workspace, checks them against the rules of every network in networks,
// makes the derived copies those rules call for, and returns them in order.
// Downloads run a few at a time; the error of the first failing entry wins.
func (a *MediaLibrary) prepareMedia(ctx context.Context, workspaceID, userID string, urls, networks []string) (*preparedMedia, error) {
	items := make([]*herald.Media, len(urls))
	if len(urls) > 0 {
		ms, err := a.mediaService()
		if err != nil {
			return nil, err
		}
		errs := make([]error, len(urls))
		sem := make(chan struct{}, ms.cfg.Downloads)
		var wg sync.WaitGroup
		for i, u := range urls {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sem <- struct{}{}
				defer func() { <-sem }()
				items[i], errs[i] = a.ingestURL(ctx, ms, workspaceID, userID, fmt.Sprintf("%s[%d]", media.MediaField, i), u)
			}()
		}
		wg.Wait()
		if err := firstError(errs); err != nil {
			return nil, err
		}
	}
	if err := a.applyMediaRules(ctx, items, urls, networks); err != nil {
		return nil, err
	}
	return a.prepared(items, urls), nil
}

func firstError(errs []error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// profileNetworks returns the networks of the workspace's profiles ids.
func (a *MediaLibrary) profileNetworks(ctx context.Context, workspaceID string, ids []string) ([]string, error) {
	out := make([]string, 0, len(ids))
	for i, id := range ids {
		nf := herald.Errorf(herald.ENOTFOUND, "socialProfileIds[%d]: social profile %q not found in this workspace", i, id)
		if !herald.ValidID(id) {
			return nil, nf
		}
		prof, err := a.store.FindSocialProfileByID(ctx, id)
		if herald.ErrorCode(err) == herald.ENOTFOUND || (err == nil && prof.WorkspaceID != workspaceID) {
			return nil, nf
		} else if err != nil {
			return nil, err
		}
		out = append(out, prof.Provider)
	}
	return out, nil
}

// mediaStored reports whether every file of a post names a stored file.
func mediaStored(list []herald.PostMedia) bool {
	for _, m := range list {
		if m.MediaID == "" {
			return false
		}
	}
	return true
}

// linkPostMedia records in tx the post's media, so that its files are
// neither deleted nor collected while it uses them.
func (a *MediaLibrary) linkPostMedia(ctx context.Context, tx store.Tx, p *herald.Post) error {
	return mediaGone(tx.SetPostMedia(ctx, p.ID, p.Media, a.Now()))
}

// mediaGone turns the store's error for a file deleted between the checks
// of a post's media and the transaction that saves the post into a
// conflict the caller can retry.
func mediaGone(err error) error {
	if errors.Is(err, store.ErrNoSuchMedia) {
		return &herald.Error{Code: herald.ECONFLICT, Message: "A file of this post was deleted while the post was saved; send the request again.", Err: err}
	}
	return err
}

// releasePostMedia records in tx that a post no longer uses its files: they
// are collected GCAge from now unless another post uses them.
func (a *MediaLibrary) releasePostMedia(ctx context.Context, tx store.Tx, p *herald.Post) error {
	return tx.SetPostMedia(ctx, p.ID, nil, a.Now())
}

// ---- per-network rules

// applyMediaRules checks items (the files of a post, in order; sources are
// the URLs the user gave) against the rules of each network. Where a derived
// copy meets a rule the original breaks (PlanDerivative), the copy is made
// (once per file and network) and checked instead. A broken rule is a 400
// naming the network, the file and the rule.
func (a *MediaLibrary) applyMediaRules(ctx context.Context, items []*herald.Media, sources, networks []string) error {
	seen := map[string]bool{}
	for _, network := range networks {
		if seen[network] {
			continue
		}
		seen[network] = true
		rules, ok := a.providers.DefaultRules(network)
		if !ok {
			continue
		}
		infos := make([]media.Info, len(items))
		for i, m := range items {
			use, err := a.mediaFor(ctx, m, rules)
			if err != nil {
				var me *media.Error
				if errors.As(err, &me) {
					return &herald.Error{Code: herald.EINVALID, Message: fmt.Sprintf("%s: %s[%d] (%s): %s", network, media.MediaField, i, sources[i], me.Reason), Err: err}
				}
				return err
			}
			infos[i] = use.MediaInfo
		}
		if vs := media.CheckRules(rules, infos); len(vs) > 0 {
			msgs := make([]string, len(vs))
			for j, v := range vs {
				field := v.Field
				if v.Index >= 0 && v.Index < len(sources) {
					field = fmt.Sprintf("%s (%s)", field, sources[v.Index])
				}
				msgs[j] = fmt.Sprintf("%s: %s: %s", v.Network, field, v.Rule)
			}
			return herald.Errorf(herald.EINVALID, "%s", strings.Join(msgs, "; "))
		}
	}
	return nil
}

// mediaFor returns the copy of m that goes to the network of rules: the
// derived copy made for it, made now if the rules call for one and it does
// not exist yet, else m itself.
func (a *Services) mediaFor(ctx context.Context, m *herald.Media, rules provider.Rules) (*herald.Media, error) {
	d, err := a.store.FindMediaDerivative(ctx, m.ID, rules.Network)
	if err == nil {
		return d, nil
	} else if herald.ErrorCode(err) != herald.ENOTFOUND {
		return nil, err
	}
	target, ok := media.PlanDerivative(rules, m.MediaInfo)
	if !ok {
		return m, nil
	}
	ms, err := a.mediaService()
	if err != nil {
		return nil, err
	}
	info, err := media.Derive(ctx, ms.cfg.Store, m.MediaInfo, target)
	if err != nil {
		return nil, err
	}
	if err := a.recordBlob(ctx, ms, info.SHA256, info.Size); errors.Is(err, errBlobVanished) {
		return nil, &herald.Error{Code: herald.EUNAVAILABLE, Message: "The media store was cleaning up while a file was stored; send the request again.", Err: err}
	} else if err != nil {
		return nil, err
	}
	d = a.newMedia(m.WorkspaceID, info)
	d.ParentID, d.Network = m.ID, rules.Network
	err = a.store.CreateMedia(ctx, d)
	if herald.ErrorCode(err) == herald.ECONFLICT {
		// Made at the same moment by another request: use that one.
		return a.store.FindMediaDerivative(ctx, m.ID, rules.Network)
	}
	if err != nil {
		return nil, err
	}
	a.log.InfoContext(ctx, "derived media copy", "media_id", m.ID, "network", rules.Network, "mime", d.MIME, "size", d.Size, "width", d.Width, "height", d.Height)
	return d, nil
}

// TargetMedia returns the files to publish to one target, in order: for
// each file of the post, the copy made for the target's network if the
// network's rules called for one, else the original. Open reads the bytes
// from the media store; URL is the copy's public URL, for networks that pull.
// The publishing engine calls it; it checks no user.
func (a *Services) TargetMedia(ctx context.Context, p *herald.Post, t *herald.PostTarget) ([]provider.Media, error) {
	out := make([]provider.Media, 0, len(p.Media))
	if len(p.Media) == 0 {
		return out, nil
	}
	ms, err := a.mediaService()
	if err != nil {
		return nil, err
	}
	rules, hasRules := a.providers.DefaultRules(t.Provider)
	for i, pm := range p.Media {
		if pm.MediaID == "" {
			return nil, herald.Errorf(herald.EINVALID, "mediaUrls[%d]: %s was never stored by Herald", i, pm.SourceURL)
		}
		m, err := a.store.FindMediaByID(ctx, pm.MediaID)
		if herald.ErrorCode(err) == herald.ENOTFOUND {
			return nil, herald.Errorf(herald.EINVALID, "mediaUrls[%d]: %s is no longer stored (the file was deleted)", i, pm.SourceURL)
		} else if err != nil {
			return nil, err
		}
		use := m
		if hasRules {
			if use, err = a.mediaFor(ctx, m, rules); err != nil {
				return nil, mediaError(fmt.Sprintf("mediaUrls[%d]", i), err)
			}
		} else if d, err := a.store.FindMediaDerivative(ctx, m.ID, t.Provider); err == nil {
			use = d
		}
		alt := pm.AltText
		if alt == "" {
			alt = m.AltText
		}
		key, blobs := use.SHA256, ms.cfg.Store
		out = append(out, provider.Media{Kind: use.Kind, MIME: use.MIME, Size: use.Size, Width: use.Width, Height: use.Height, Duration: use.Duration,
			AltText: alt, URL: a.MediaURL(use), Open: func(ctx context.Context) (io.ReadCloser, error) {
				rc, _, err := blobs.Open(ctx, key)
				return rc, err
			}})
	}
	return out, nil
}

// ---- the library

// MediaUpload is a file sent to the library.
type MediaUpload struct {
	// FileName is the upload's name, used in messages and kept for display.
	FileName string
	AltText  string
	// Body is read once, streamed to the store.
	Body io.Reader
}

func validateAltText(alt string) error {
	if err := herald.CheckText("altText", alt); err != nil {
		return err
	}
	if n := utf8.RuneCountInString(alt); n > herald.MaxAltText {
		return herald.Errorf(herald.EINVALID, "altText: must be at most %d characters (got %d)", herald.MaxAltText, n)
	}
	return nil
}

// UploadMedia adds an uploaded file to a workspace's library with the same
// checks as a downloaded one. The body is not read before the caller's
// right to add media is checked.
func (a *MediaLibrary) UploadMedia(ctx context.Context, workspaceID string, in MediaUpload) (*herald.Media, error) {
	mem, err := a.writer(ctx, a.store, workspaceID, "add media")
	if err != nil {
		return nil, err
	}
	ms, err := a.mediaService()
	if err != nil {
		return nil, err
	}
	if err := validateAltText(in.AltText); err != nil {
		return nil, err
	}
	name := path.Base(strings.ReplaceAll(in.FileName, `\`, "/"))
	if name == "." || name == "/" || herald.CheckText("file", name) != nil || len(name) > 255 {
		name = "upload"
	}
	info, err := a.ingest(ctx, ms, false, func() (*media.Info, error) { return ms.ingester.IngestReader(ctx, name, in.Body) })
	if err != nil {
		return nil, mediaError("file", err)
	}
	m := a.newMedia(workspaceID, info)
	m.FileName, m.AltText, m.CreatedBy = name, in.AltText, mem.UserID
	return a.saveMedia(ctx, ms, m, "file", name, false)
}

// ListMediaParams select a page of a workspace's library.
type ListMediaParams struct {
	WorkspaceID string
	Page        int
	PerPage     int
}

// ListMedia lists a workspace's library, newest first.
func (a *MediaLibrary) ListMedia(ctx context.Context, p ListMediaParams) ([]*herald.Media, error) {
	if _, err := a.member(ctx, a.store, p.WorkspaceID); err != nil {
		return nil, err
	}
	offset, limit, err := pageBounds(p.Page, p.PerPage)
	if err != nil {
		return nil, err
	}
	return orEmpty(a.store.FindMedia(ctx, herald.MediaFilter{WorkspaceID: p.WorkspaceID, Offset: offset, Limit: limit}))
}

// findMedia returns a library file the caller may see. workspaceID is
// optional; when given, a file of another workspace is not found. Derived
// copies are not library files.
func (a *MediaLibrary) findMedia(ctx context.Context, q store.Querier, workspaceID, id string) (*herald.Media, *herald.Member, error) {
	nf := herald.Errorf(herald.ENOTFOUND, "Media %q not found.", id)
	if !herald.ValidID(id) {
		return nil, nil, nf
	}
	if workspaceID != "" {
		if _, err := a.member(ctx, q, workspaceID); err != nil {
			return nil, nil, err
		}
	}
	m, err := q.FindMediaByID(ctx, id)
	if herald.ErrorCode(err) == herald.ENOTFOUND || (err == nil && (m.ParentID != "" || (workspaceID != "" && m.WorkspaceID != workspaceID))) {
		return nil, nil, nf
	} else if err != nil {
		return nil, nil, err
	}
	mem, err := a.member(ctx, q, m.WorkspaceID)
	if herald.ErrorCode(err) == herald.ENOTFOUND {
		return nil, nil, nf
	} else if err != nil {
		return nil, nil, err
	}
	return m, mem, nil
}

// GetMedia returns one library file.
func (a *MediaLibrary) GetMedia(ctx context.Context, workspaceID, id string) (*herald.Media, error) {
	m, _, err := a.findMedia(ctx, a.store, workspaceID, id)
	return m, err
}

// MediaPatch changes a library file. Nil fields are left as they are.
type MediaPatch struct {
	AltText *string
}

// UpdateMedia changes a library file's alt text. Posts that already name
// the file keep the alt text they were given.
func (a *MediaLibrary) UpdateMedia(ctx context.Context, workspaceID, id string, patch MediaPatch) (*herald.Media, error) {
	var m *herald.Media
	err := a.store.InTx(ctx, func(tx store.Tx) error {
		var mem *herald.Member
		var err error
		if m, mem, err = a.findMedia(ctx, tx, workspaceID, id); err != nil {
			return err
		}
		if !mem.Role.CanWrite() {
			return herald.Errorf(herald.EFORBIDDEN, "Your role in this workspace (%s) cannot change media.", mem.Role)
		}
		if patch.AltText != nil {
			if err := validateAltText(*patch.AltText); err != nil {
				return err
			}
			m.AltText = *patch.AltText
			return tx.UpdateMediaAltText(ctx, m.ID, m.AltText)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// DeleteMedia deletes a library file with its derived copies. A file that a
// post not yet published uses (a draft, a scheduled post, one that failed
// and may be retried) cannot be deleted; published posts let it go (their
// creatives then no longer load).
func (a *MediaLibrary) DeleteMedia(ctx context.Context, workspaceID, id string) error {
	return a.store.InTx(ctx, func(tx store.Tx) error {
		m, mem, err := a.findMedia(ctx, tx, workspaceID, id)
		if err != nil {
			return err
		}
		if !mem.Role.CanWrite() {
			return herald.Errorf(herald.EFORBIDDEN, "Your role in this workspace (%s) cannot delete media.", mem.Role)
		}
		// Locked first, so that a post starting to use the file meanwhile
		// is seen below (409), not caught by the foreign key.
		if err := tx.LockMedia(ctx, m.ID); err != nil {
			return err
		}
		uses, err := tx.FindMediaUses(ctx, m.ID)
		if err != nil {
			return err
		}
		for _, u := range uses {
			if u.Status != herald.StatusPosted {
				return herald.Errorf(herald.ECONFLICT, "Media %q is used by post %q (%s) and cannot be deleted; take it out of that post or delete the post first.", m.ID, u.PostID, u.Status)
			}
		}
		return tx.DeleteMedia(ctx, m.ID)
	})
}

// ---- garbage collection

// MediaGCResult counts what one collection removed.
type MediaGCResult struct {
	// Media is the number of files (rows, with their derived copies) removed.
	Media int
	// Blobs is the number of blobs deleted from the media store.
	Blobs int
}

const gcBatch = 100

// CollectMedia deletes the files that no post has used for GCAge, then the
// blobs that no file names and that were last stored more than BlobGrace
// ago. Every deletion re-checks its condition in the database, so several
// nodes may collect at once and a file that a post starts using meanwhile
// is kept.
func (a *MediaLibrary) CollectMedia(ctx context.Context) (MediaGCResult, error) {
	var res MediaGCResult
	ms, err := a.mediaService()
	if err != nil {
		return res, err
	}
	now := a.Now()
	before := now.Add(-ms.cfg.GCAge)
	for {
		batch, err := a.store.FindUnusedMedia(ctx, before, gcBatch)
		if err != nil {
			return res, err
		}
		deleted := 0
		for _, m := range batch {
			ok, err := a.store.DeleteMediaIfUnused(ctx, m.ID, before)
			if err != nil {
				return res, err
			}
			if ok {
				deleted++
			}
		}
		res.Media += deleted
		if len(batch) < gcBatch || deleted == 0 {
			break
		}
	}
	blobsBefore := now.Add(-ms.cfg.BlobGrace)
	for {
		batch, err := a.store.FindOrphanMediaBlobs(ctx, blobsBefore, gcBatch)
		if err != nil {
			return res, err
		}
		deleted := 0
		for _, sha := range batch {
			// The blob goes in the transaction that deletes its record, so
			// that a TouchMediaBlob of the same bytes waits and then finds
			// it gone (see recordBlob) rather than a record without a blob.
			err := a.store.InTx(ctx, func(tx store.Tx) error {
				ok, err := tx.DeleteMediaBlobIfOrphan(ctx, sha, blobsBefore)
				if err != nil || !ok {
					return err
				}
				deleted++
				return ms.cfg.Store.Delete(ctx, sha)
			})
			if err != nil {
				return res, fmt.Errorf("collect media blob %s: %w", sha, err)
			}
		}
		res.Blobs += deleted
		if len(batch) < gcBatch || deleted == 0 {
			break
		}
	}
	return res, nil
}

// MediaCollector runs CollectMedia every interval until stopped.
type MediaCollector struct {
	app      *MediaLibrary
	interval time.Duration

	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
}

// NewMediaCollector returns a collector for the app's media; interval
// defaults to an hour.
func (a *MediaLibrary) NewMediaCollector(interval time.Duration) *MediaCollector {
	if interval <= 0 {
		interval = time.Hour
	}
	return &MediaCollector{app: a, interval: interval}
}

// Start runs a first collection soon and then one every interval, in the
// background, until Stop or until ctx ends.
func (c *MediaCollector) Start(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done != nil {
		return errors.New("media collector already started")
	}
	ctx, c.cancel = context.WithCancel(ctx)
	c.done = make(chan struct{})
	go func() {
		defer close(c.done)
		timer := time.NewTimer(min(time.Minute, c.interval))
		defer timer.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-timer.C:
			}
			res, err := c.app.CollectMedia(ctx)
			switch {
			case err != nil && ctx.Err() == nil:
				c.app.log.ErrorContext(ctx, "media collection failed", "error", err)
			case res.Media > 0 || res.Blobs > 0:
				c.app.log.InfoContext(ctx, "collected unused media", "media", res.Media, "blobs", res.Blobs)
			}
			timer.Reset(c.interval)
		}
	}()
	return nil
}

// Stop ends the collector and waits for a collection in progress to stop.
func (c *MediaCollector) Stop() {
	c.mu.Lock()
	cancel, done := c.cancel, c.done
	c.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	<-done
}

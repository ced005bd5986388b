package mastodon

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/provider"
	"github.com/heraldhq/herald/internal/provider/httpsend"
)

// status is the subset of Mastodon's Status entity used here.
type status struct {
	ID               string            `json:"id"`
	CreatedAt        time.Time         `json:"created_at"`
	URL              string            `json:"url"`
	URI              string            `json:"uri"`
	Content          string            `json:"content"`
	Text             *string           `json:"text"`
	InReplyToID      *string           `json:"in_reply_to_id"`
	Reblog           json.RawMessage   `json:"reblog"`
	MediaAttachments []json.RawMessage `json:"media_attachments"`
}

func (s *status) published() *provider.Published {
	u := s.URL
	if u == "" {
		u = s.URI
	}
	return &provider.Published{RemoteID: s.ID, URL: u, PublishedAt: s.CreatedAt.UTC()}
}

// attachment is the subset of MediaAttachment used while uploading.
type attachment struct {
	ID  string  `json:"id"`
	URL *string `json:"url"`
}

// Publish uploads the media, waits until the instance has processed them,
// and creates the status with Idempotency-Key: req.Key.
//
// Options: "visibility" (public, unlisted, private, direct), "spoilerText"
// (content warning), "language" (ISO 639-1), "sensitive" ("true").
//
// Failures while uploading are safe (nothing is posted yet): transient or
// rejected. Once the create request may have been sent, a timeout, a 5xx or
// a malformed answer is KindOutcomeUnknown: reconcile with Find.
func (p *Provider) Publish(ctx context.Context, acct *provider.Account, req *provider.PublishRequest) (*provider.Published, error) {
	c, err := credentials(acct)
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(req.Media))
	for i, m := range req.Media {
		id, err := p.upload(ctx, c, m)
		if err != nil {
			return nil, fmt.Errorf("media %d: %w", i+1, err)
		}
		ids = append(ids, id)
	}

	body := map[string]any{"status": req.Text, "media_ids": ids}
	opt := func(k string) string { return strings.TrimSpace(req.Options[k]) }
	if v := opt("visibility"); v != "" {
		body["visibility"] = v
	}
	if v := opt("spoilerText"); v != "" {
		body["spoiler_text"] = v
	}
	if v := opt("language"); v != "" {
		body["language"] = v
	}
	if v := opt("sensitive"); v == "true" || v == "1" {
		body["sensitive"] = true
	}
	raw, _ := json.Marshal(body)
	h := http.Header{}
	if req.Key != "" {
		h.Set("Idempotency-Key", req.Key)
	}
	var st status
	_, err = p.do(ctx, request{
		method: http.MethodPost, url: c.InstanceURL + "/api/v1/statuses", token: c.AccessToken,
		body: bytes.NewReader(raw), contentType: "application/json", header: h, create: true,
	}, &st)
	if err != nil {
		return nil, err
	}
	if st.ID == "" {
		return nil, &provider.Error{Kind: provider.KindOutcomeUnknown, Code: "malformed", Message: "the instance answered without a status id"}
	}
	return st.published(), nil
}

// upload sends one file to POST /api/v2/media (multipart "file" and
// "description") and waits until it is processed.
func (p *Provider) upload(ctx context.Context, c Credentials, m provider.Media) (string, error) {
	if m.Open == nil {
		return "", provider.Errorf(provider.KindRejected, "invalid_media", "media has no content")
	}
	f, err := m.Open(ctx)
	if err != nil {
		return "", &provider.Error{Kind: provider.KindTransient, Code: "media_open", Message: "could not read the media file", Err: err}
	}
	defer f.Close()

	// Stream the file through a pipe: videos can be large.
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	done := make(chan struct{})
	go func() {
		defer close(done)
		err := func() error {
			if m.AltText != "" {
				if err := mw.WriteField("description", m.AltText); err != nil {
					return err
				}
			}
			hdr := textproto.MIMEHeader{}
			name := "file" + httpsend.Extension(m.MIME, "")
			hdr.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename="%s"`, name))
			ct := m.MIME
			if ct == "" {
				ct = "application/octet-stream"
			}
			hdr.Set("Content-Type", ct)
			part, err := mw.CreatePart(hdr)
			if err != nil {
				return err
			}
			if _, err := io.Copy(part, f); err != nil {
				return err
			}
			return mw.Close()
		}()
		pw.CloseWithError(err)
	}()

	var a attachment
	status, err := p.do(ctx, request{
		method: http.MethodPost, url: c.InstanceURL + "/api/v2/media", token: c.AccessToken,
		body: pr, contentType: mw.FormDataContentType(),
	}, &a)
	_ = pr.CloseWithError(errors.New("request finished"))
	<-done // the writer stops reading the file before it is closed
	if err != nil {
		return "", err
	}
	if a.ID == "" {
		return "", provider.Errorf(provider.KindTransient, "malformed", "the instance answered the upload without a media id")
	}
	if status == http.StatusOK && a.URL != nil && *a.URL != "" {
		return a.ID, nil
	}
	return a.ID, p.waitMedia(ctx, c, a.ID)
}

// waitMedia polls GET /api/v1/media/:id (206 while processing, 200 with a
// url when done) with growing waits, bounded by MediaTimeout and ctx.
func (p *Provider) waitMedia(ctx context.Context, c Credentials, id string) error {
	ctx, cancel := context.WithTimeout(ctx, p.cfg.MediaTimeout)
	defer cancel()
	wait := p.cfg.MediaPollInterval
	for {
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return &provider.Error{Kind: provider.KindTransient, Code: "media_processing", Message: "the instance is still processing the media", Err: ctx.Err()}
		case <-t.C:
		}
		var a attachment
		status, err := p.do(ctx, request{method: http.MethodGet, url: c.InstanceURL + "/api/v1/media/" + url.PathEscape(id), token: c.AccessToken}, &a)
		if err != nil {
			if kindOf(err) == provider.KindTransient && ctx.Err() == nil {
				// A hiccup while polling is not the upload failing.
				wait = p.nextWait(wait)
				continue
			}
			return err
		}
		if status == http.StatusOK && a.URL != nil && *a.URL != "" {
			return nil
		}
		wait = p.nextWait(wait)
	}
}

func (p *Provider) nextWait(w time.Duration) time.Duration {
	return min(w+w/2, p.cfg.MediaPollMax)
}

// Find reconciles an attempt whose outcome is unknown.
//
// Mastodon's Idempotency-Key cannot be queried, and GoToSocial ignores it,
// so Find scans the account's own recent statuses (GET
// /api/v1/accounts/:id/statuses, 40 a page, replies and boosts excluded,
// newest first) for one created no earlier than req.ScheduledAt minus
// FindSkew whose text matches req.Text and whose attachment count matches.
// Text is compared as plain text: the status's source "text" when the
// server returns it (GoToSocial does), otherwise its HTML content with tags
// stripped, entities decoded, whitespace collapsed and mentions reduced to
// @user (Mastodon renders @user@domain that way).
//
// Limits of the heuristic, which the engine must accept:
//   - a status the user wrote by hand with the same text in the window is
//     taken for Herald's (the earliest match wins);
//   - a status edited or deleted since the attempt is not found;
//   - a server whose formatter changes the text beyond the normalisation
//     (Markdown on GoToSocial or Akkoma, custom emoji) is not matched;
//   - if FindPages pages do not reach back to the window, or the request has
//     no ScheduledAt, the answer is ErrCannotTell rather than a guess.
func (p *Provider) Find(ctx context.Context, acct *provider.Account, req *provider.PublishRequest) (*provider.Published, error) {
	c, err := credentials(acct)
	if err != nil {
		return nil, err
	}
	if c.AccountID == "" {
		var a account
		if _, err := p.do(ctx, request{method: http.MethodGet, url: c.InstanceURL + "/api/v1/accounts/verify_credentials", token: c.AccessToken}, &a); err != nil {
			return nil, err
		}
		c.AccountID = a.ID
	}
	var since time.Time
	if !req.ScheduledAt.IsZero() {
		since = req.ScheduledAt.Add(-p.cfg.FindSkew)
	}
	want := normalizeText(req.Text)
	var match *status
	maxID := ""
	for page := 0; page < p.cfg.FindPages; page++ {
		q := url.Values{"limit": {"40"}, "exclude_replies": {"true"}, "exclude_reblogs": {"true"}}
		if maxID != "" {
			q.Set("max_id", maxID)
		}
		var list []status
		if _, err := p.do(ctx, request{method: http.MethodGet, url: c.InstanceURL + "/api/v1/accounts/" + url.PathEscape(c.AccountID) + "/statuses?" + q.Encode(), token: c.AccessToken}, &list); err != nil {
			return nil, err
		}
		reachedWindowStart := len(list) == 0
		for i := range list {
			st := &list[i]
			if !since.IsZero() && st.CreatedAt.Before(since) {
				reachedWindowStart = true
				break
			}
			if st.Reblog != nil && string(st.Reblog) != "null" || st.InReplyToID != nil {
				continue
			}
			if len(st.MediaAttachments) != len(req.Media) || !textMatches(st, req.Text, want) {
				continue
			}
			match = st // keep going: the earliest match in the window wins
		}
		if reachedWindowStart {
			if match != nil {
				return match.published(), nil
			}
			if since.IsZero() {
				return nil, provider.ErrCannotTell
			}
			return nil, provider.ErrNotPublished
		}
		maxID = list[len(list)-1].ID
	}
	if match != nil {
		return match.published(), nil
	}
	return nil, provider.ErrCannotTell
}

func textMatches(st *status, raw, normalized string) bool {
	if st.Text != nil && *st.Text != "" {
		if *st.Text == raw || normalizeText(*st.Text) == normalized {
			return true
		}
	}
	return normalizeText(htmlToText(st.Content)) == normalized
}

var (
	breakRE   = regexp.MustCompile(`(?i)<br\s*/?>|</p>\s*<p[^>]*>`)
	tagRE     = regexp.MustCompile(`<[^>]*>`)
	spaceRE   = regexp.MustCompile(`\s+`)
	mentionRE = regexp.MustCompile(`(?i)(^|[^\p{L}\p{N}_=/@])(@[a-z0-9_]+(?:[a-z0-9_.\-]+[a-z0-9_]+)?)@[\p{L}\p{N}_.\-]+[\p{L}\p{N}_]+`)
)

// htmlToText turns a status's HTML content into plain text.
func htmlToText(s string) string {
	s = breakRE.ReplaceAllString(s, "\n")
	s = tagRE.ReplaceAllString(s, "")
	return html.UnescapeString(s)
}

// normalizeText makes the request's text and a status's rendered text
// comparable: mentions lose their domain, whitespace collapses.
func normalizeText(s string) string {
	s = mentionRE.ReplaceAllString(s, "$1$2")
	return strings.TrimSpace(spaceRE.ReplaceAllString(s, " "))
}

// Delete removes a status with DELETE /api/v1/statuses/:id. A status that
// is already gone (404) counts as deleted.
func (p *Provider) Delete(ctx context.Context, acct *provider.Account, remoteID string) error {
	c, err := credentials(acct)
	if err != nil {
		return err
	}
	status, err := p.do(ctx, request{method: http.MethodDelete, url: c.InstanceURL + "/api/v1/statuses/" + url.PathEscape(remoteID), token: c.AccessToken}, nil)
	if status == http.StatusNotFound {
		return nil
	}
	return err
}

package api

import (
	"errors"
	"io"
	"mime"
	"net/http"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/app"
	"github.com/heraldhq/herald/internal/httperr"
	"github.com/heraldhq/herald/internal/media"
)

// The media library (Herald extension) and the public media endpoint.
//
// Files are added by POST /media (multipart upload) or by a post's
// mediaUrls (downloaded). Each has a public, unguessable URL under
// <public URL>/media/ that networks pull without an API key; that URL is
// usable in mediaUrls, where it is taken without downloading. No separate
// mediaIds field exists: mediaUrls stays Ocoya's one way to name files.

var mediaWorkspaceOptParam = param{name: "workspaceId", desc: "Optional: when given, the file must belong to this workspace."}

type mediaResponse struct {
	ID          string  `json:"id"`
	URL         string  `json:"url" doc:"Public, unguessable URL of the file, served without an API key (networks pull it). Usable in mediaUrls of POST /post and PATCH /post/{postId}, where it is taken without downloading."`
	MIME        string  `json:"mime" enum:"image/png,image/jpeg,image/gif,image/webp,video/mp4,video/quicktime" doc:"Decided from the file's bytes, not its name."`
	Kind        string  `json:"kind" enum:"image,video"`
	Size        int64   `json:"size" doc:"Bytes."`
	Width       int     `json:"width" doc:"Pixels, as displayed (after EXIF orientation or video rotation)."`
	Height      int     `json:"height" doc:"Pixels, as displayed."`
	Duration    float64 `json:"duration" doc:"Seconds, for videos (0 for images)."`
	Frames      int     `json:"frames" doc:"1 for a still image, the frames of an animation, the samples of a video (0 if unknown)."`
	AltText     string  `json:"altText" doc:"Description for people who cannot see the file; sent to the networks that take one."`
	FileName    string  `json:"fileName" doc:"The upload's file name (empty for downloaded files)."`
	SourceURL   string  `json:"sourceUrl" doc:"The URL the file was downloaded from (empty for uploads)."`
	SHA256      string  `json:"sha256" doc:"SHA-256 of the bytes, in hex."`
	WorkspaceID string  `json:"workspaceId"`
	CreatedAt   string  `json:"createdAt"`
}

func toMedia(a *app.App, m *herald.Media) mediaResponse {
	return mediaResponse{ID: m.ID, URL: a.MediaURL(m), MIME: m.MIME, Kind: m.Kind, Size: m.Size, Width: m.Width, Height: m.Height,
		Duration: m.Duration.Seconds(), Frames: m.Frames, AltText: m.AltText, FileName: m.FileName, SourceURL: m.SourceURL, SHA256: m.SHA256,
		WorkspaceID: m.WorkspaceID, CreatedAt: herald.FormatTime(m.CreatedAt)}
}

// mediaUploadForm documents POST /media's form; the handler reads it as a
// stream.
type mediaUploadForm struct {
	File    string `json:"file" type:"string" format:"binary" required:"true" doc:"The image (PNG, JPEG, GIF, WebP) or video (MP4, MOV). Its type is decided from its bytes. At most 5 MiB by default; the operator may set other caps per type."`
	AltText string `json:"altText" doc:"Optional alt text, at most 1500 characters."`
}

type mediaPatchRequest struct {
	AltText *string `json:"altText" doc:"New alt text, at most 1500 characters. Posts that already use the file keep theirs."`
}

// uploadMedia reads a multipart form as a stream: the file goes straight
// to the media store through the ingester, never whole into memory.
func (h *Handler) uploadMedia(w http.ResponseWriter, r *http.Request) error {
	ms := h.app.Media()
	if ms == nil {
		return herald.Errorf(herald.EUNAVAILABLE, "This Herald has no media storage configured.")
	}
	ct := r.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "multipart/form-data" {
		return herald.Errorf(herald.EINVALID, "Content-Type: must be multipart/form-data with the file in the field \"file\" (got %q)", ct)
	}
	limit := ms.MaxUploadBytes() + 1<<20
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	mr, err := r.MultipartReader()
	if err != nil {
		return herald.Errorf(herald.EINVALID, "body: not a multipart form: %v", err)
	}
	ws := r.URL.Query().Get("workspaceId")
	tooLarge := func(err error) error {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return herald.Errorf(herald.ETOOLARGE, "body: larger than the limit of %d bytes for uploads", limit)
		}
		return nil
	}
	var created *herald.Media
	var alt *string
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			if e := tooLarge(err); e != nil {
				return e
			}
			return herald.Errorf(herald.EINVALID, "body: not a valid multipart form: %v", err)
		}
		switch part.FormName() {
		case "altText":
			b, err := io.ReadAll(io.LimitReader(part, 4*herald.MaxAltText+1))
			if err != nil {
				if e := tooLarge(err); e != nil {
					return e
				}
				return herald.Errorf(herald.EINVALID, "altText: could not be read: %v", err)
			}
			s := string(b)
			alt = &s
			if created != nil { // sent after the file
				if created, err = h.app.UpdateMedia(r.Context(), ws, created.ID, app.MediaPatch{AltText: alt}); err != nil {
					return err
				}
			}
		case "file":
			if created != nil {
				return herald.Errorf(herald.EINVALID, "file: send one file per request")
			}
			src := &sourceReader{r: part}
			in := app.MediaUpload{FileName: part.FileName(), Body: src}
			if alt != nil {
				in.AltText = *alt
			}
			if created, err = h.app.UploadMedia(r.Context(), ws, in); err != nil {
				if e := tooLarge(err); e != nil {
					return e
				}
				if src.err != nil && herald.ErrorCode(err) == herald.EINTERNAL {
					// The client's body broke off, not Herald's storage.
					return herald.Errorf(herald.EINVALID, "file: the upload could not be read to its end: %v", src.err)
				}
				return err
			}
		default:
			return herald.Errorf(herald.EINVALID, "%s: unknown field; send the file in \"file\" and its alt text in \"altText\"", part.FormName())
		}
	}
	if created == nil {
		return herald.Errorf(herald.EINVALID, "file: is required (multipart/form-data with the file in the field \"file\")")
	}
	writeJSON(w, http.StatusCreated, toMedia(h.app, created))
	return nil
}

// sourceReader remembers a read error of the client's body.
type sourceReader struct {
	r   io.Reader
	err error
}

func (s *sourceReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && err != io.EOF {
		s.err = err
	}
	return n, err
}

func (h *Handler) listMedia(w http.ResponseWriter, r *http.Request) error {
	page, perPage, err := queryPage(r)
	if err != nil {
		return err
	}
	list, err := h.app.ListMedia(r.Context(), app.ListMediaParams{WorkspaceID: r.URL.Query().Get("workspaceId"), Page: page, PerPage: perPage})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, mapSlice(list, func(m *herald.Media) mediaResponse { return toMedia(h.app, m) }))
	return nil
}

func (h *Handler) getMedia(w http.ResponseWriter, r *http.Request) error {
	m, err := h.app.GetMedia(r.Context(), r.URL.Query().Get("workspaceId"), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toMedia(h.app, m))
	return nil
}

func (h *Handler) updateMedia(w http.ResponseWriter, r *http.Request) error {
	var req mediaPatchRequest
	if err := decodeRequest(w, r, &req); err != nil {
		return err
	}
	m, err := h.app.UpdateMedia(r.Context(), r.URL.Query().Get("workspaceId"), r.PathValue("id"), app.MediaPatch{AltText: req.AltText})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toMedia(h.app, m))
	return nil
}

func (h *Handler) deleteMedia(w http.ResponseWriter, r *http.Request) error {
	if err := h.app.DeleteMedia(r.Context(), r.URL.Query().Get("workspaceId"), r.PathValue("id")); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, emptyResponse{})
	return nil
}

// serveMediaFile answers the public media URLs (GET and HEAD, ranges,
// caching) without an API key: networks pull files from them.
func (h *Handler) serveMediaFile(w http.ResponseWriter, r *http.Request) {
	reqID := httperr.RequestID(r)
	w.Header().Set("X-Request-Id", reqID)
	r = r.WithContext(herald.NewContextWithRequestID(r.Context(), reqID))
	m, blobs, err := h.app.PublicMedia(r.Context(), r.PathValue("file"))
	if err != nil && ClientGone(r) {
		h.log.DebugContext(r.Context(), "client went away", "method", r.Method, "path", r.URL.Path, "error", err)
		return
	}
	if err != nil {
		status, msg := httperr.Describe(r.Context(), err)
		httperr.Log(r.Context(), h.log, r, status, err)
		http.Error(w, msg, status)
		return
	}
	if err := media.ServeBlob(w, r, blobs, m.SHA256, m.MIME); err != nil && ClientGone(r) {
		h.log.DebugContext(r.Context(), "client went away", "method", r.Method, "path", r.URL.Path, "error", err)
	} else if err != nil {
		h.log.ErrorContext(r.Context(), "serve media", "path", r.URL.Path, "media_id", m.ID, "error", err)
	}
}

package blueskyfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/provider"
)

const postCollection = "app.bsky.feed.post"

// tidRE is the TID syntax required of app.bsky.feed.post record keys.
var tidRE = regexp.MustCompile(`^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$`)

// rkeyRE is the general record-key syntax.
var rkeyRE = regexp.MustCompile(`^[A-Za-z0-9._:~-]{1,512}$`)

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	handle := func(route string, h http.HandlerFunc) {
		mux.Handle(route, s.faults.Wrap(route, s.rateHeaders(h)))
	}
	handle("GET /xrpc/_health", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"version": "fake"})
	})
	handle("GET /xrpc/com.atproto.identity.resolveHandle", s.resolveHandle)
	handle("POST /xrpc/com.atproto.server.createSession", s.createSession)
	handle("POST /xrpc/com.atproto.server.refreshSession", s.refreshSession)
	handle("GET /xrpc/com.atproto.server.getSession", s.authed(s.getSession))
	handle("POST /xrpc/com.atproto.repo.uploadBlob", s.authed(s.uploadBlob))
	handle("POST /xrpc/com.atproto.repo.createRecord", s.authed(s.createRecord))
	handle("POST /xrpc/com.atproto.repo.putRecord", s.authed(s.putRecord))
	handle("POST /xrpc/com.atproto.repo.deleteRecord", s.authed(s.deleteRecord))
	handle("GET /xrpc/com.atproto.repo.getRecord", s.getRecord)
	handle("GET /{did}", s.plcDocument)
	mux.HandleFunc("/xrpc/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotImplemented, "MethodNotImplemented", "Method Not Implemented")
	})
	return mux
}

// rateHeaders adds the PDS's IETF-draft rate-limit headers (a global 3000
// per 5 minutes); nothing is refused unless a fault says so.
func (s *Server) rateHeaders(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		const period = 300
		now := s.now().Unix()
		start := now - now%period
		s.mu.Lock()
		s.seq++
		n := s.seq
		s.mu.Unlock()
		w.Header().Set("RateLimit-Limit", "3000")
		w.Header().Set("RateLimit-Remaining", strconv.Itoa(max(3000-n%3000, 0)))
		w.Header().Set("RateLimit-Reset", strconv.FormatInt(start+period, 10))
		w.Header().Set("RateLimit-Policy", "3000;w=300")
		h(w, r)
	}
}

// authed checks the access token. An expired one answers 400 ExpiredToken,
// as the PDS does.
func (s *Server) authed(h func(http.ResponseWriter, *http.Request, *account)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || tok == "" {
			writeError(w, http.StatusUnauthorized, "AuthenticationRequired", "Authentication Required")
			return
		}
		s.mu.Lock()
		se := s.access[tok]
		var a *account
		if se != nil {
			a = s.accounts[se.did]
		}
		s.mu.Unlock()
		switch {
		case se == nil && s.isRefreshToken(tok):
			writeError(w, http.StatusBadRequest, "InvalidToken", "Invalid token type")
		case se == nil || a == nil:
			writeError(w, http.StatusUnauthorized, "InvalidToken", "Token could not be verified")
		case se.revoked:
			writeError(w, http.StatusUnauthorized, "InvalidToken", "Token has been revoked")
		case !s.now().Before(se.expires):
			writeError(w, http.StatusBadRequest, "ExpiredToken", "Token has expired")
		default:
			h(w, r, a)
		}
	}
}

func (s *Server) isRefreshToken(tok string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.refresh[tok]
	return ok
}

func (s *Server) resolveHandle(w http.ResponseWriter, r *http.Request) {
	h := strings.ToLower(r.URL.Query().Get("handle"))
	if h == "" {
		writeError(w, http.StatusBadRequest, "InvalidRequest", `Error: Params must have the property "handle"`)
		return
	}
	s.mu.Lock()
	did, ok := s.handles[h]
	s.mu.Unlock()
	if !ok {
		writeError(w, http.StatusBadRequest, "InvalidRequest", "Unable to resolve handle")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"did": did})
}

// plcDocument serves the PLC directory's DID document.
func (s *Server) plcDocument(w http.ResponseWriter, r *http.Request) {
	did := r.PathValue("did")
	s.mu.Lock()
	a := s.accounts[did]
	s.mu.Unlock()
	if a == nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "DID not registered: " + did})
		return
	}
	writeJSON(w, http.StatusOK, s.didDoc(a))
}

func (s *Server) didDoc(a *account) map[string]any {
	return map[string]any{
		"@context":    []string{"https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"},
		"id":          a.DID,
		"alsoKnownAs": []string{"at://" + a.Handle},
		"verificationMethod": []any{map[string]any{
			"id": a.DID + "#atproto", "type": "Multikey", "controller": a.DID,
			"publicKeyMultibase": "zQ3shXjHeiBuRCKmM36cuYnm7YEMzhGnCmCyW92sRJ9pribSF",
		}},
		"service": []any{map[string]any{"id": "#atproto_pds", "type": "AtprotoPersonalDataServer", "serviceEndpoint": s.URL}},
	}
}

func (s *Server) newSession(a *account) map[string]any {
	now := s.now()
	acc := s.token("com.atproto.access", a.DID, now.Add(s.opts.AccessTTL))
	ref := s.token("com.atproto.refresh", a.DID, now.Add(s.opts.RefreshTTL))
	s.access[acc] = &session{did: a.DID, expires: now.Add(s.opts.AccessTTL)}
	s.refresh[ref] = &session{did: a.DID, expires: now.Add(s.opts.RefreshTTL)}
	return map[string]any{
		"accessJwt": acc, "refreshJwt": ref, "handle": a.Handle, "did": a.DID,
		"didDoc": s.didDoc(a), "active": true,
	}
}

func (s *Server) createSession(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Identifier string `json:"identifier"`
		Password   string `json:"password"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Identifier == "" || in.Password == "" {
		writeError(w, http.StatusBadRequest, "InvalidRequest", "Input must have the properties \"identifier\" and \"password\"")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id := strings.ToLower(strings.TrimPrefix(in.Identifier, "@"))
	did := id
	if !strings.HasPrefix(id, "did:") {
		did = s.handles[id]
	}
	a := s.accounts[did]
	if a == nil || a.Password == "" || a.Password != in.Password {
		writeError(w, http.StatusUnauthorized, "AuthenticationRequired", "Invalid identifier or password")
		return
	}
	writeJSON(w, http.StatusOK, s.newSession(a))
}

// refreshSession rotates the session: the refresh token in the bearer
// header is revoked and a new pair issued.
func (s *Server) refreshSession(w http.ResponseWriter, r *http.Request) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || tok == "" {
		writeError(w, http.StatusUnauthorized, "AuthenticationRequired", "Authentication Required")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	se := s.refresh[tok]
	switch {
	case se == nil && s.access[tok] != nil:
		writeError(w, http.StatusBadRequest, "InvalidToken", "Invalid token type")
	case se == nil:
		writeError(w, http.StatusUnauthorized, "InvalidToken", "Token could not be verified")
	case se.revoked:
		writeError(w, http.StatusBadRequest, "ExpiredToken", "Token has been revoked")
	case !s.now().Before(se.expires):
		writeError(w, http.StatusBadRequest, "ExpiredToken", "Token has expired")
	default:
		se.revoked = true
		writeJSON(w, http.StatusOK, s.newSession(s.accounts[se.did]))
	}
}

func (s *Server) getSession(w http.ResponseWriter, r *http.Request, a *account) {
	writeJSON(w, http.StatusOK, map[string]any{"handle": a.Handle, "did": a.DID, "active": true})
}

func (s *Server) uploadBlob(w http.ResponseWriter, r *http.Request, a *account) {
	data, err := io.ReadAll(io.LimitReader(r.Body, s.opts.MaxBlobSize+1))
	if err != nil {
		writeError(w, http.StatusBadRequest, "InvalidRequest", "could not read the body")
		return
	}
	if int64(len(data)) > s.opts.MaxBlobSize {
		writeError(w, http.StatusRequestEntityTooLarge, "PayloadTooLarge", "request entity too large")
		return
	}
	mime := r.Header.Get("Content-Type")
	if mime == "" || mime == "*/*" {
		mime = http.DetectContentType(data)
	}
	cid := cidFor(0x55, data)
	s.mu.Lock()
	s.blobs[cid] = &Blob{CID: cid, DID: a.DID, MIME: mime, Data: data}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"blob": map[string]any{
		"$type": "blob", "ref": map[string]string{"$link": cid}, "mimeType": mime, "size": len(data),
	}})
}

// writeInput is the body of createRecord and putRecord. SwapRecord keeps
// the difference between absent and null.
type writeInput struct {
	Repo       string          `json:"repo"`
	Collection string          `json:"collection"`
	RKey       string          `json:"rkey"`
	Validate   *bool           `json:"validate"`
	Record     json.RawMessage `json:"record"`
	SwapRecord json.RawMessage `json:"swapRecord"`
}

func (s *Server) readWrite(w http.ResponseWriter, r *http.Request, a *account) (*writeInput, []byte, bool) {
	var raw map[string]json.RawMessage
	if err := json.NewDecoder(r.Body).Decode(&raw); err != nil {
		writeError(w, http.StatusBadRequest, "InvalidRequest", "Request body must be JSON")
		return nil, nil, false
	}
	var in writeInput
	b, _ := json.Marshal(raw)
	_ = json.Unmarshal(b, &in)
	if _, present := raw["swapRecord"]; present && in.SwapRecord == nil {
		in.SwapRecord = json.RawMessage("null")
	}
	if in.Repo != a.DID && strings.ToLower(in.Repo) != a.Handle {
		writeError(w, http.StatusUnauthorized, "AuthenticationRequired", "Authentication Required")
		return nil, nil, false
	}
	if in.Collection == "" || len(in.Record) == 0 {
		writeError(w, http.StatusBadRequest, "InvalidRequest", `Input must have the properties "collection" and "record"`)
		return nil, nil, false
	}
	if in.RKey != "" && !rkeyRE.MatchString(in.RKey) {
		writeError(w, http.StatusBadRequest, "InvalidRequest", "Invalid record key: "+in.RKey)
		return nil, nil, false
	}
	var rec map[string]any
	if err := json.Unmarshal(in.Record, &rec); err != nil {
		writeError(w, http.StatusBadRequest, "InvalidRequest", "Invalid record: not an object")
		return nil, nil, false
	}
	if t, _ := rec["$type"].(string); t == "" {
		rec["$type"] = in.Collection
	} else if t != in.Collection {
		writeError(w, http.StatusBadRequest, "InvalidRequest", fmt.Sprintf("Invalid $type: expected %s, got %s", in.Collection, t))
		return nil, nil, false
	}
	if in.Collection == postCollection {
		if in.RKey != "" && !tidRE.MatchString(in.RKey) {
			writeError(w, http.StatusBadRequest, "InvalidRequest", "Invalid app.bsky.feed.post record key: must be a TID")
			return nil, nil, false
		}
		if msg := s.validatePost(rec, a); msg != "" {
			writeError(w, http.StatusBadRequest, "InvalidRequest", "Invalid app.bsky.feed.post record: "+msg)
			return nil, nil, false
		}
	}
	canonical, _ := json.Marshal(rec) // map keys sorted: a stable encoding
	return &in, canonical, true
}

// validatePost applies the app.bsky.feed.post lexicon rules the adapter
// relies on.
func (s *Server) validatePost(rec map[string]any, a *account) string {
	text, _ := rec["text"].(string)
	if provider.CountGraphemes(text) > 300 {
		return "Record/text must not be longer than 300 graphemes"
	}
	if len(text) > 3000 {
		return "Record/text must not be longer than 3000 characters"
	}
	created, _ := rec["createdAt"].(string)
	if _, err := time.Parse(time.RFC3339Nano, created); err != nil {
		return "Record/createdAt must be an valid atproto datetime (both RFC-3339 and ISO-8601)"
	}
	if langs, ok := rec["langs"].([]any); ok && len(langs) > 3 {
		return "Record/langs must not have more than 3 elements"
	}
	facets, _ := rec["facets"].([]any)
	for i, f := range facets {
		fm, _ := f.(map[string]any)
		idx, _ := fm["index"].(map[string]any)
		start, _ := idx["byteStart"].(float64)
		end, _ := idx["byteEnd"].(float64)
		if start < 0 || end <= start || int(end) > len(text) {
			return fmt.Sprintf("Record/facets/%d/index is out of range", i)
		}
		if feats, _ := fm["features"].([]any); len(feats) == 0 {
			return fmt.Sprintf("Record/facets/%d/features must not be empty", i)
		}
	}
	embed, _ := rec["embed"].(map[string]any)
	switch t, _ := embed["$type"].(string); t {
	case "":
	case "app.bsky.embed.images":
		imgs, _ := embed["images"].([]any)
		if len(imgs) == 0 || len(imgs) > 4 {
			return "Record/embed/images must have between 1 and 4 elements"
		}
		for i, im := range imgs {
			imm, _ := im.(map[string]any)
			if _, ok := imm["alt"].(string); !ok {
				return fmt.Sprintf(`Record/embed/images/%d must have the property "alt"`, i)
			}
			if msg := s.checkBlob(imm["image"], a, 1_000_000, "image/"); msg != "" {
				return fmt.Sprintf("Record/embed/images/%d/image %s", i, msg)
			}
		}
	case "app.bsky.embed.video":
		if msg := s.checkBlob(embed["video"], a, 100_000_000, "video/mp4"); msg != "" {
			return "Record/embed/video " + msg
		}
	default:
		// Other embeds (external, record) are stored as given.
	}
	return ""
}

func (s *Server) checkBlob(v any, a *account, maxSize int64, accept string) string {
	m, _ := v.(map[string]any)
	ref, _ := m["ref"].(map[string]any)
	cid, _ := ref["$link"].(string)
	s.mu.Lock()
	b := s.blobs[cid]
	s.mu.Unlock()
	switch {
	case b == nil || b.DID != a.DID:
		return "should be a blob ref (could not find blob " + cid + ")"
	case int64(len(b.Data)) > maxSize:
		return fmt.Sprintf("file too large: %d bytes, maximum %d", len(b.Data), maxSize)
	case !strings.HasPrefix(b.MIME, accept):
		return "mime type " + b.MIME + " is not accepted"
	}
	return ""
}

func (s *Server) newTID() string {
	const alphabet = "234567abcdefghijklmnopqrstuvwxyz"
	s.seq++
	v := uint64(s.now().UnixMicro())<<10 | uint64(s.seq&0x3ff)
	v &^= 1 << 63
	var out [13]byte
	for i := 12; i >= 0; i-- {
		out[i] = alphabet[v&31]
		v >>= 5
	}
	return string(out[:])
}

// store writes a record; callers hold s.mu.
func (s *Server) store(a *account, collection, rkey string, value []byte, existing *Record) *Record {
	key := a.DID + "/" + collection + "/" + rkey
	rec := &Record{
		URI: "at://" + a.DID + "/" + collection + "/" + rkey, CID: cidFor(0x71, value),
		DID: a.DID, Collection: collection, RKey: rkey, Value: value, CreatedAt: s.now(),
	}
	if existing == nil {
		s.order = append(s.order, key)
		if collection == postCollection {
			var p struct {
				Text string `json:"text"`
			}
			_ = json.Unmarshal(value, &p)
			s.created[p.Text]++
		}
	}
	s.records[key] = rec
	return rec
}

func (s *Server) writeResult(w http.ResponseWriter, rec *Record) {
	writeJSON(w, http.StatusOK, map[string]any{
		"uri": rec.URI, "cid": rec.CID,
		"commit":           map[string]string{"cid": cidFor(0x71, []byte(rec.URI+rec.CID)), "rev": s.newTID()},
		"validationStatus": "valid",
	})
}

func (s *Server) createRecord(w http.ResponseWriter, r *http.Request, a *account) {
	in, value, ok := s.readWrite(w, r, a)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rkey := in.RKey
	if rkey == "" {
		rkey = s.newTID()
	}
	if cur := s.records[a.DID+"/"+in.Collection+"/"+rkey]; cur != nil && !cur.Deleted {
		writeError(w, http.StatusBadRequest, "RecordAlreadyExists", "Record already exists: "+cur.URI)
		return
	}
	s.writeResult(w, s.store(a, in.Collection, rkey, value, nil))
}

// putRecord creates or updates. Rewriting an identical record is a no-op;
// swapRecord null means "only if it does not exist" and fails with
// InvalidSwap otherwise, as in the reference PDS.
func (s *Server) putRecord(w http.ResponseWriter, r *http.Request, a *account) {
	in, value, ok := s.readWrite(w, r, a)
	if !ok {
		return
	}
	if in.RKey == "" {
		writeError(w, http.StatusBadRequest, "InvalidRequest", `Input must have the property "rkey"`)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.records[a.DID+"/"+in.Collection+"/"+in.RKey]
	if cur != nil && cur.Deleted {
		cur = nil
	}
	cid := cidFor(0x71, value)
	if cur != nil && cur.CID == cid {
		s.writeResult(w, cur)
		return
	}
	swapNull := bytes.Equal(in.SwapRecord, []byte("null"))
	var swapCID string
	_ = json.Unmarshal(in.SwapRecord, &swapCID)
	switch {
	case cur != nil && swapNull:
		writeError(w, http.StatusBadRequest, "InvalidSwap", "Record was at "+cur.CID)
		return
	case cur != nil && swapCID != "" && swapCID != cur.CID:
		writeError(w, http.StatusBadRequest, "InvalidSwap", "Record was at "+cur.CID)
		return
	case cur == nil && swapCID != "":
		writeError(w, http.StatusBadRequest, "InvalidSwap", "Record was at null")
		return
	}
	s.writeResult(w, s.store(a, in.Collection, in.RKey, value, cur))
}

func (s *Server) getRecord(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	repo := strings.ToLower(q.Get("repo"))
	s.mu.Lock()
	defer s.mu.Unlock()
	did := repo
	if !strings.HasPrefix(repo, "did:") {
		did = s.handles[repo]
	}
	if s.accounts[did] == nil {
		writeError(w, http.StatusBadRequest, "InvalidRequest", "Could not find repo: "+q.Get("repo"))
		return
	}
	rec := s.records[did+"/"+q.Get("collection")+"/"+q.Get("rkey")]
	if rec == nil || rec.Deleted {
		writeError(w, http.StatusBadRequest, "RecordNotFound", "Could not locate record: at://"+did+"/"+q.Get("collection")+"/"+q.Get("rkey"))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"uri": rec.URI, "cid": rec.CID, "value": rec.Value})
}

func (s *Server) deleteRecord(w http.ResponseWriter, r *http.Request, a *account) {
	var in writeInput
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Collection == "" || in.RKey == "" {
		writeError(w, http.StatusBadRequest, "InvalidRequest", `Input must have the properties "repo", "collection" and "rkey"`)
		return
	}
	if in.Repo != a.DID && strings.ToLower(in.Repo) != a.Handle {
		writeError(w, http.StatusUnauthorized, "AuthenticationRequired", "Authentication Required")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if rec := s.records[a.DID+"/"+in.Collection+"/"+in.RKey]; rec != nil {
		rec.Deleted = true
	}
	writeJSON(w, http.StatusOK, map[string]any{"commit": map[string]string{"cid": cidFor(0x71, []byte(in.RKey)), "rev": s.newTID()}})
}

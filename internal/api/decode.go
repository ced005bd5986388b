package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald"
)

// MaxBodyBytes caps JSON request bodies.
const MaxBodyBytes = 1 << 20

// readBody reads a capped request body that must be JSON.
//
// The body is read as JSON whenever it is JSON, whatever its Content-Type
// label: curl -d labels it application/x-www-form-urlencoded and fetch
// without a Content-Type labels it text/plain. This opens no cross-site
// hole, because an API key travels in a header, which no cross-site form
// can set. A body labelled as something else that is not JSON is a 415; an
// unlabelled or JSON-labelled body that is not valid JSON is a 400 that
// says where it broke (decodeJSON).
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, herald.Errorf(herald.ETOOLARGE, "body: larger than the limit of %d bytes", MaxBodyBytes)
	}
	if err != nil {
		return nil, herald.Errorf(herald.EINVALID, "body: could not be read: %v", err)
	}
	if ct := r.Header.Get("Content-Type"); ct != "" && !jsonLabel(ct) && len(bytes.TrimSpace(body)) > 0 && !json.Valid(body) {
		return nil, herald.Errorf(herald.EMEDIATYPE, "Content-Type: send the body as JSON with Content-Type: application/json (got %q and a body that is not JSON)", ct)
	}
	return body, nil
}

// jsonLabel reports whether a Content-Type names JSON.
func jsonLabel(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

// decodeJSON decodes body strictly into dst: one JSON object, known fields
// only, types as declared. Errors name the field.
func decodeJSON(body []byte, dst any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return herald.Errorf(herald.EINVALID, "body: is empty; expected a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err, reflect.TypeOf(dst))
	}
	if _, err := dec.Token(); err != io.EOF {
		return herald.Errorf(herald.EINVALID, "body: unexpected data after the JSON object")
	}
	// JSON can carry the NUL character (as \u0000); no text Herald keeps may
	// hold it, and PostgreSQL cannot store it.
	if bytes.Contains(bytes.ToLower(body), []byte(`\u0000`)) {
		var v any
		if json.Unmarshal(body, &v) == nil {
			if path := nulPath(v, ""); path != "" {
				return herald.CheckText(path, "\x00")
			}
		}
	}
	return nil
}

// nulPath returns the path of the first string (or key) holding a NUL.
func nulPath(v any, path string) string {
	join := func(k string) string {
		if path == "" {
			return k
		}
		return path + "." + k
	}
	switch x := v.(type) {
	case string:
		if strings.ContainsRune(x, 0) {
			if path == "" {
				return "body"
			}
			return path
		}
	case []any:
		for i, e := range x {
			if p := nulPath(e, path+"["+strconv.Itoa(i)+"]"); p != "" {
				return p
			}
		}
	case map[string]any:
		for k, e := range x {
			if strings.ContainsRune(k, 0) {
				return join(strings.ReplaceAll(k, "\x00", ""))
			}
			if p := nulPath(e, join(k)); p != "" {
				return p
			}
		}
	}
	return ""
}

func decodeError(err error, dst reflect.Type) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return herald.Errorf(herald.EINVALID, "body: invalid JSON at byte %d: %s", syn.Offset, strings.TrimPrefix(syn.Error(), "json: "))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return herald.Errorf(herald.EINVALID, "body: invalid JSON: unexpected end of input")
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return herald.Errorf(herald.EINVALID, "body: must be a JSON object (got %s)", typ.Value)
		}
		if ft := fieldType(dst, field); ft != nil && ft.Kind() == reflect.Slice && ft.Elem() == typ.Type {
			return herald.Errorf(herald.EINVALID, "%s: must be %s (got an array holding %s)", field, describeType(ft.String()), withArticle(typ.Value))
		}
		return herald.Errorf(herald.EINVALID, "%s: must be %s (got %s)", field, describeType(typ.Type.String()), typ.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return herald.Errorf(herald.EINVALID, "%s: unknown field", strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`))
	}
	var fe *fieldError
	if errors.As(err, &fe) {
		return fe.err
	}
	return herald.Errorf(herald.EINVALID, "body: %s", strings.TrimPrefix(err.Error(), "json: "))
}

// fieldType finds the type of the field at a JSON path ("a.b") in t.
func fieldType(t reflect.Type, path string) reflect.Type {
	for _, name := range strings.Split(path, ".") {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return nil
		}
		var found reflect.Type
		for i := range t.NumField() {
			f := t.Field(i)
			if tag, _, _ := strings.Cut(f.Tag.Get("json"), ","); tag == name {
				found = f.Type
				break
			}
		}
		if found == nil {
			return nil
		}
		t = found
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

func withArticle(kind string) string {
	switch kind {
	case "array", "object":
		return "an " + kind
	}
	return "a " + kind
}

func describeType(goType string) string {
	goType = strings.TrimPrefix(goType, "*")
	switch {
	case goType == "string" || goType == "*string":
		return "a string"
	case strings.HasPrefix(goType, "[]"):
		return "an array of " + strings.TrimPrefix(describeType(goType[2:]), "a ") + "s"
	case goType == "bool" || goType == "*bool":
		return "true or false"
	case strings.Contains(goType, "int"):
		return "an integer"
	case strings.Contains(goType, "float"):
		return "a number"
	case strings.Contains(goType, "RawMessage"):
		return "a value"
	}
	return "an object"
}

// fieldError carries a domain error out of a custom UnmarshalJSON.
type fieldError struct{ err error }

func (e *fieldError) Error() string { return e.err.Error() }

// optionalTime is a time field that can be absent, null or set.
type optionalTime struct {
	Set   bool
	Value *string
}

// UnmarshalJSON records that the field was present.
func (o *optionalTime) UnmarshalJSON(b []byte) error {
	o.Set = true
	if string(b) == "null" {
		o.Value = nil
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return &json.UnmarshalTypeError{Value: jsonKind(b), Type: stringType}
	}
	o.Value = &s
	return nil
}

func jsonKind(b []byte) string {
	switch b[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "bool"
	case '"':
		return "string"
	}
	return "number"
}

// queryInt parses an optional integer query parameter.
func queryInt(r *http.Request, name string, def int) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, herald.Errorf(herald.EINVALID, "%s: %q is not an integer", name, v)
	}
	return n, nil
}

// queryPage reads Ocoya's paging parameters: page (0-based, default 0) and
// perPage (default 10).
func queryPage(r *http.Request) (page, perPage int, err error) {
	if page, err = queryInt(r, "page", 0); err != nil {
		return 0, 0, err
	}
	perPage, err = queryInt(r, "perPage", 10)
	return page, perPage, err
}

// parseOptionalTime parses a time field that may be null.
func parseOptionalTime(field string, s *string) (*time.Time, error) {
	if s == nil {
		return nil, nil
	}
	t, err := herald.ParseTime(field, *s)
	if err != nil {
		return nil, err
	}
	return &t, nil
}

var stringType = reflect.TypeFor[string]()

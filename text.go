package herald

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// CheckText returns an invalid error naming field when s is not text Herald
// can keep: it must be valid UTF-8 and must not hold the NUL character,
// which PostgreSQL cannot store in text. Every front door checks what users
// send with it (JSON strings, form and multipart fields, query parameters).
func CheckText(field, s string) error {
	switch {
	case strings.IndexByte(s, 0) >= 0:
		return Errorf(EINVALID, "%s: must not contain the NUL character (\\u0000)", field)
	case !utf8.ValidString(s):
		return Errorf(EINVALID, "%s: is not valid UTF-8", field)
	}
	return nil
}

// CheckTextValues checks every name and value of a form or query (a
// url.Values) with CheckText, in a stable order.
func CheckTextValues(values map[string][]string) error {
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if err := CheckText("field name", k); err != nil {
			return err
		}
		for _, v := range values[k] {
			if err := CheckText(k, v); err != nil {
				return err
			}
		}
	}
	return nil
}

package api

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/heraldhq/herald/internal/httperr"
)

// errorBody is every error's JSON shape, as Ocoya's.
type errorBody struct {
	Message string `json:"message" doc:"What went wrong, naming the field and the rule where the request broke one."`
}

// writeJSON writes v as JSON with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"message":"Internal error."}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// writeError writes err as {"message": ...} with its status, and logs it
// when it is Herald's fault: the one place errors are logged. An unexpected
// error answers a fixed message with the request id; its cause is logged.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	if ClientGone(r) {
		log.DebugContext(r.Context(), "client went away", "method", r.Method, "path", r.URL.Path, "error", err)
		w.WriteHeader(StatusClientClosedRequest)
		return
	}
	status, msg := httperr.Describe(r.Context(), err)
	httperr.Log(r.Context(), log, r, status, err)
	writeJSON(w, status, errorBody{Message: msg})
}

// StatusClientClosedRequest is the status recorded (never received) for a
// request whose client went away before the answer: nginx's 499.
const StatusClientClosedRequest = 499

// ClientGone reports whether the client of r disconnected (or cancelled
// its request): net/http then cancels the request's context, and whatever
// failed after it is no fault of Herald's, only a client abort, logged at
// debug level and never as a server error.
func ClientGone(r *http.Request) bool { return r.Context().Err() != nil }

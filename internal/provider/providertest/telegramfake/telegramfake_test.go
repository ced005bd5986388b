package telegramfake

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

func call(t *testing.T, req *http.Request) (int, map[string]any) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("answer is not JSON: %q", b)
	}
	return resp.StatusCode, m
}

func TestParameterStyles(t *testing.T) {
	t.Parallel()
	f := New()
	t.Cleanup(f.Close)
	bot := f.AddBot("a_bot")
	ch := f.AddChat("channel", "C", "chan", bot)
	base := f.URL + "/bot" + bot.Token + "/sendMessage"
	id := strconv.FormatInt(ch.ID, 10)
	reqs := map[string]*http.Request{}
	reqs["query"], _ = http.NewRequest("GET", base+"?chat_id="+id+"&text=query", nil)
	reqs["form"], _ = http.NewRequest("POST", base, strings.NewReader(url.Values{"chat_id": {"@chan"}, "text": {"form"}}.Encode()))
	reqs["form"].Header.Set("Content-Type", "application/x-www-form-urlencoded")
	reqs["json"], _ = http.NewRequest("POST", base, strings.NewReader(`{"chat_id":`+id+`,"text":"json"}`))
	reqs["json"].Header.Set("Content-Type", "application/json")
	for name, req := range reqs {
		status, body := call(t, req)
		if status != 200 || body["ok"] != true {
			t.Errorf("%s: %d %v", name, status, body)
		}
	}
	if len(f.Messages(ch.ID)) != 3 || f.CountText("json") != 1 {
		t.Errorf("messages = %+v", f.Messages(ch.ID))
	}
}

func TestErrorEnvelope(t *testing.T) {
	t.Parallel()
	f := New()
	t.Cleanup(f.Close)
	bot := f.AddBot("a_bot")
	ch := f.AddChat("channel", "C", "", bot)
	id := strconv.FormatInt(ch.ID, 10)
	tests := []struct {
		name, path string
		status     int
		desc       string
	}{
		{"unknown token", "/bot1:nope/getMe", 401, "Unauthorized"},
		{"no bot prefix", "/x" + bot.Token + "/getMe", 404, "Not Found"},
		{"unknown method", "/bot" + bot.Token + "/sendPigeon", 404, "Not Found"},
		{"chat not found", "/bot" + bot.Token + "/sendMessage?chat_id=-1&text=x", 400, "Bad Request: chat not found"},
		{"empty text", "/bot" + bot.Token + "/sendMessage?chat_id=" + id + "&text=", 400, "Bad Request: message text is empty"},
		{"album of one", "/bot" + bot.Token + "/sendMediaGroup?chat_id=" + id + "&media=" + url.QueryEscape(`[{"type":"photo","media":"attach://a"}]`), 400, "Bad Request: there must be at least 2 media in the group"},
		{"photo by URL", "/bot" + bot.Token + "/sendPhoto?chat_id=" + id + "&photo=https://x/y.jpg", 400, "Bad Request: wrong file identifier/HTTP URL specified"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", f.URL+tt.path, nil)
			status, body := call(t, req)
			if status != tt.status || body["ok"] != false || body["error_code"] != float64(tt.status) || body["description"] != tt.desc {
				t.Errorf("got %d %v", status, body)
			}
		})
	}
}

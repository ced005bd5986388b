package logging

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/heraldhq/herald"
)

func TestContextIDsOnEveryLine(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log := New(&buf, "json", slog.LevelDebug)
	ctx := herald.NewContextWithRequestID(context.Background(), "req-1")
	ctx = herald.NewContextWithTarget(ctx, "post-1", "target-1")

	log.InfoContext(ctx, "plain")
	log.With("component", "worker").WithGroup("g").WarnContext(ctx, "derived", "k", "v")
	log.InfoContext(ctx, "named already", "request_id", "explicit")
	log.Info("no context")

	var lines []map[string]any
	dec := json.NewDecoder(&buf)
	for dec.More() {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, m)
	}
	if len(lines) != 4 {
		t.Fatalf("%d lines, want 4", len(lines))
	}
	if l := lines[0]; l["request_id"] != "req-1" || l["post_id"] != "post-1" || l["target_id"] != "target-1" {
		t.Errorf("plain line = %v", l)
	}
	// Attributes added by the handler after WithGroup land in the group;
	// what matters is that they are on the line.
	g, _ := lines[1]["g"].(map[string]any)
	if lines[1]["component"] != "worker" || g["k"] != "v" || g["request_id"] != "req-1" {
		t.Errorf("derived line = %v", lines[1])
	}
	if lines[2]["request_id"] != "explicit" {
		t.Errorf("an explicit request_id was replaced: %v", lines[2])
	}
	if _, ok := lines[3]["request_id"]; ok {
		t.Errorf("a line without context got a request id: %v", lines[3])
	}
}

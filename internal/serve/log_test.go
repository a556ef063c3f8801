package serve

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestPipelineLogger: at info level the pipeline's info lines are dropped
// (one summary line per run) but its warnings pass; at debug everything
// passes. Attributes added with With survive.
func TestPipelineLogger(t *testing.T) {
	tests := []struct {
		level slog.Level
		want  []string
	}{
		{slog.LevelInfo, []string{"warn", "error"}},
		{slog.LevelWarn, []string{"warn", "error"}},
		{slog.LevelDebug, []string{"debug", "info", "warn", "error"}},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: tt.level}))
		p := pipelineLogger(log).With("stage", "plan")
		p.Debug("debug")
		p.Info("info")
		p.Warn("warn")
		p.Error("error")
		var got []string
		for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
			if !strings.Contains(line, "stage=plan") {
				t.Errorf("line without the With attribute: %q", line)
			}
			_, msg, _ := strings.Cut(line, "msg=")
			msg, _, _ = strings.Cut(msg, " ")
			got = append(got, msg)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("level %v: messages (-want +got):\n%s", tt.level, diff)
		}
	}
}

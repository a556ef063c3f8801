package serve

import (
	"context"
	"log/slog"
)

// quieter passes on only records at min or above, so the pipeline's own info
// lines ("planned", ...) stay out of the daemon's one-line-per-run log while
// its warnings and errors still show.
type quieter struct {
	slog.Handler
	min slog.Level
}

func (q quieter) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= q.min && q.Handler.Enabled(ctx, l)
}

func (q quieter) WithAttrs(as []slog.Attr) slog.Handler {
	return quieter{q.Handler.WithAttrs(as), q.min}
}

func (q quieter) WithGroup(name string) slog.Handler {
	return quieter{q.Handler.WithGroup(name), q.min}
}

// pipelineLogger is log for the pipeline: warnings and errors only, unless
// log is at debug level, when everything passes.
func pipelineLogger(log *slog.Logger) *slog.Logger {
	h := log.Handler()
	if h.Enabled(context.Background(), slog.LevelDebug) {
		return log
	}
	return slog.New(quieter{h, slog.LevelWarn})
}

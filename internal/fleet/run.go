package fleet

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
)

// Select narrows the fleet to the named instances (none: all) whose labels
// match every selector. An unknown name is an error: a typo must not
// silently plan nothing.
func (fl *Fleet) Select(names []string, selectors []string) ([]Instance, error) {
	sel := map[string]string{}
	for _, s := range selectors {
		k, v, ok := strings.Cut(s, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--selector %q: write label=value, e.g. --selector tier=premium", s)
		}
		sel[k] = v
	}
	known := map[string]bool{}
	for _, in := range fl.Instances {
		known[in.Name] = true
	}
	for _, n := range names {
		if !known[n] {
			return nil, fmt.Errorf("--instance %q: no such instance in %s (grafsync validate lists the fleet)", n, ConfigFile)
		}
	}
	var out []Instance
	for _, in := range fl.Instances {
		if len(names) > 0 && !slices.Contains(names, in.Name) {
			continue
		}
		if Matches(in.Labels, sel) {
			out = append(out, in)
		}
	}
	if len(out) == 0 {
		var given []string
		if len(names) > 0 {
			given = append(given, "--instance "+strings.Join(names, ","))
		}
		if len(selectors) > 0 {
			given = append(given, "--selector "+strings.Join(selectors, ","))
		}
		return nil, fmt.Errorf("no instance matches %s (grafsync validate lists the instances)", strings.Join(given, " "))
	}
	return out, nil
}

// Run calls fn for every instance, at most inFlight at once, and returns
// the results in the instances' order. fn's failure is its result's: an
// instance never stops another. A cancelled ctx leaves the instances not
// started with ctx's error.
func Run[R any](ctx context.Context, instances []Instance, inFlight int, fn func(context.Context, Instance) R, cancelled func(Instance, error) R) []R {
	out := make([]R, len(instances))
	sem := make(chan struct{}, max(inFlight, 1))
	var wg sync.WaitGroup
	for i, in := range instances {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			out[i] = cancelled(in, context.Cause(ctx))
			continue
		}
		if err := ctx.Err(); err != nil {
			<-sem
			out[i] = cancelled(in, context.Cause(ctx))
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			out[i] = fn(ctx, in)
		}()
	}
	wg.Wait()
	return out
}

// Limiter bounds the requests in flight over the whole fleet: every
// instance's client shares one. A slot is held from the request until its
// response body is closed (or the attempt fails).
type Limiter struct {
	base http.RoundTripper
	sem  chan struct{}
}

// NewLimiter returns a round tripper over base with n slots.
func NewLimiter(n int, base http.RoundTripper) *Limiter {
	return &Limiter{base: base, sem: make(chan struct{}, max(n, 1))}
}

// RoundTrip waits for a slot, honouring the request's context.
func (l *Limiter) RoundTrip(r *http.Request) (*http.Response, error) {
	select {
	case l.sem <- struct{}{}:
	case <-r.Context().Done():
		return nil, context.Cause(r.Context())
	}
	resp, err := l.base.RoundTrip(r)
	if err != nil || resp.Body == nil {
		<-l.sem
		return resp, err
	}
	resp.Body = &releaseBody{ReadCloser: resp.Body, release: sync.OnceFunc(func() { <-l.sem })}
	return resp, nil
}

type releaseBody struct {
	io.ReadCloser
	release func()
}

func (b *releaseBody) Close() error {
	err := b.ReadCloser.Close()
	b.release()
	return err
}

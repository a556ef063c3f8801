package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// newHealthcheckCmd probes a grafsync serve endpoint. The container image
// has no shell and no curl, so an ECS container health check runs this.
func newHealthcheckCmd() *cobra.Command {
	var url string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "healthcheck",
		Short: "Exit 0 when a grafsync serve endpoint answers 2xx (container health checks)",
		Long: `healthcheck GETs --url and exits 0 when it answers 2xx, 1 otherwise. It is
for container health checks in the grafsync image, which has no shell or curl:
in an ECS task definition, "command": ["CMD", "/grafsync", "healthcheck"].`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runHealthcheck(cmd.Context(), url, timeout, cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVar(&url, "url", "http://127.0.0.1:8080/healthz", "endpoint to probe (grafsync serve's /healthz or /readyz)")
	cmd.Flags().DurationVar(&timeout, "timeout", 5*time.Second, "give up after this long")
	return cmd
}

func runHealthcheck(ctx context.Context, url string, timeout time.Duration, stdout io.Writer) error {
	if err := positive(map[string]time.Duration{"--timeout": timeout}); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("healthcheck --url %q: %w", url, err)
	}
	resp, err := (&http.Client{}).Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck %s: %w; is grafsync serve running and listening there?", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	msg := strings.TrimSpace(string(body))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("healthcheck %s: %s: %s", url, resp.Status, msg)
	}
	fmt.Fprintf(stdout, "%s: %s\n", url, msg)
	return nil
}

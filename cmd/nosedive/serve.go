package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/nosedive-lab/nosedive/internal/runner"
	"github.com/nosedive-lab/nosedive/internal/web"
	"github.com/spf13/cobra"
)

type serveOptions struct {
	addr, store, token string
	maxRuns, workers   int
}

func newServeCmd() *cobra.Command {
	var o serveOptions
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the web lab: edit scenarios, run them, compare runs, follow a citizen",
		Long: `Serve the web lab from this binary (no network access needed): pick or
upload a scenario, edit it as YAML with live diagnostics or through a form,
run it (progress streams live; a queue bounds how many runs execute at
once), browse stored runs, read dashboards and audits, compare two runs,
follow one synthetic citizen through their year with the explanation and a
counterfactual year, and download a run's files. See docs/web.md.

It binds 127.0.0.1:8080 by default. Binding any other address requires
--token: every request must then carry it (open the printed address once;
the browser keeps it in a cookie).`,
		Example: `  nosedive serve
  nosedive serve --store runs --addr 127.0.0.1:9000
  nosedive serve --addr 0.0.0.0:8080 --token "$(openssl rand -hex 16)"`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runServe(cmd.Context(), o, cmd.OutOrStdout(), nil)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.addr, "addr", "127.0.0.1:8080", "address to listen on (host:port)")
	f.StringVar(&o.store, "store", "runs", "run store directory (the same as `nosedive run --out`)")
	f.StringVar(&o.token, "token", "", "access token; required to bind a non-loopback address")
	f.IntVar(&o.maxRuns, "max-runs", 1, "runs executing at once (more wait in a queue of 8)")
	f.IntVar(&o.workers, "workers", 0, "worker threads per run (default: all cores but one, so pages stay fast)")
	return cmd
}

// runServe serves until ctx ends. ready, when not nil, receives the
// listening address (tests use port 0).
func runServe(ctx context.Context, o serveOptions, stdout io.Writer, ready chan<- string) error {
	if o.maxRuns < 1 || o.maxRuns > 64 {
		return badInput("--max-runs must be between 1 and 64, got %d", o.maxRuns)
	}
	if o.workers < 0 || o.workers > 1024 {
		return badInput("--workers must be between 0 (default) and 1024, got %d", o.workers)
	}
	if o.token != "" && len(o.token) < 16 {
		return badInput("--token must be at least 16 characters (e.g. openssl rand -hex 16)")
	}
	loopback, err := web.CheckAddr(ctx, o.addr, o.token)
	if err != nil {
		return badInput("%v", err)
	}
	srv, err := web.New(web.Config{Store: o.store, Token: o.token, MaxRuns: o.maxRuns, Workers: o.workers,
		Version: runner.Version, Loopback: loopback})
	if err != nil {
		return err
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	url := "http://" + ln.Addr().String() + "/"
	if o.token != "" {
		url += "?token=" + o.token
	}
	fmt.Fprintf(stdout, "nosedive serve: the web lab is at %s (store %s; Ctrl-C stops it)\n", url, o.store)
	if ready != nil {
		ready <- ln.Addr().String()
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srv.Close() // cancel runs first: event streams end with them
	if err := hs.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	fmt.Fprintln(stdout, "nosedive serve: stopped")
	return nil
}

package main

import (
	"context"
	"io"
	"os"

	"github.com/nosedive-lab/nosedive/internal/runner"
	"github.com/nosedive-lab/nosedive/internal/web"
	"github.com/spf13/cobra"
)

type serveOptions struct {
	addr, store, token, tokenFile string
	maxRuns, workers              int
	maxConns, maxConnsPerClient   int
	// env looks up an environment variable (os.LookupEnv; tests inject).
	env func(string) (string, bool)
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

It binds 127.0.0.1:8080 by default. Binding any other address requires a
token: every request must then carry it (open the printed address once;
the browser keeps it in a cookie). Give it in the environment variable
NOSEDIVE_TOKEN or in a file (--token-file), which other users of the
machine cannot read; --token SECRET works too but shows the token in ps.

Slow or greedy clients are bounded: request and answer time limits, and
at most --max-conns connections (--max-conns-per-client from one address);
see docs/web.md.`,
		Example: `  nosedive serve
  nosedive serve --store runs --addr 127.0.0.1:9000
  NOSEDIVE_TOKEN="$(openssl rand -hex 16)" nosedive serve --addr 0.0.0.0:8080
  nosedive serve --addr 0.0.0.0:8080 --token-file ~/.config/nosedive/token`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.env = os.LookupEnv
			return runServe(cmd.Context(), o, cmd.OutOrStdout(), nil)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.addr, "addr", "127.0.0.1:8080", "address to listen on (host:port)")
	f.StringVar(&o.store, "store", "runs", "run store directory (the same as `nosedive run --out`)")
	f.StringVar(&o.token, "token", "", "access token; required to bind a non-loopback address (visible in ps: prefer $"+web.TokenEnv+" or --token-file)")
	f.StringVar(&o.tokenFile, "token-file", "", "read the access token from this file (its first line)")
	f.IntVar(&o.maxRuns, "max-runs", 1, "runs executing at once (others wait: at most 8, or --max-runs if more, queued and executing)")
	f.IntVar(&o.workers, "workers", 0, "worker threads per run (default: all cores but one, so pages stay fast)")
	f.IntVar(&o.maxConns, "max-conns", web.DefaultLimits.MaxConns, "open connections at most, in all")
	f.IntVar(&o.maxConnsPerClient, "max-conns-per-client", web.DefaultLimits.MaxConnsPerClient, "open connections at most from one IP address")
	return cmd
}

// runServe serves until ctx ends. ready, when not nil, receives the
// listening address (tests use port 0).
func runServe(ctx context.Context, o serveOptions, stdout io.Writer, ready chan<- string) error {
	limits := web.DefaultLimits
	limits.MaxConns, limits.MaxConnsPerClient = o.maxConns, o.maxConnsPerClient
	if err := web.CheckSizes(o.maxRuns, o.workers, limits); err != nil {
		return badInput("%v", err)
	}
	env := ""
	if o.env != nil {
		env, _ = o.env(web.TokenEnv)
	}
	var err error
	if o.token, err = web.Token(o.token, o.tokenFile, env); err != nil {
		return badInput("%v", err)
	}
	loopback, err := web.CheckAddr(ctx, o.addr, o.token)
	if err != nil {
		return badInput("%v", err)
	}
	return web.Serve(ctx, web.Config{Store: o.store, Token: o.token, MaxRuns: o.maxRuns, Workers: o.workers,
		Version: runner.Version, Loopback: loopback, Limits: limits}, o.addr, stdout, ready)
}

package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	neturl "net/url"
	"os"
	"strings"
	"time"
)

// Serve runs the web lab on addr until ctx ends, as `nosedive serve`
// does: it makes the server, listens with its connection limits, writes
// the lab's address to out (with the token, when there is one, so that
// opening it once logs the browser in) and sends the listening address
// to ready when ready is not nil (tests listen on port 0). When ctx ends
// it cancels the runs first (their event streams end with them), gives
// open requests 5 seconds to finish and writes that it stopped.
func Serve(ctx context.Context, cfg Config, addr string, out io.Writer, ready chan<- string) error {
	srv, err := New(cfg)
	if err != nil {
		return err
	}
	defer srv.Close()
	ln, err := srv.Listen(addr)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	hs := srv.HTTPServer()
	url := "http://" + ln.Addr().String() + "/"
	if cfg.Token != "" {
		url += "?" + (neturl.Values{"token": {cfg.Token}}).Encode()
	}
	fmt.Fprintf(out, "nosedive serve: the web lab is at %s (store %s; Ctrl-C stops it)\n", url, cfg.Store)
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
	fmt.Fprintln(out, "nosedive serve: stopped")
	return nil
}

// TokenEnv is the environment variable `nosedive serve` reads its token
// from when neither --token nor --token-file is given. A token in a flag
// is visible to every user of the machine (ps, /proc); the variable and
// the file are not.
const TokenEnv = "NOSEDIVE_TOKEN"

// CheckSizes checks the sizes `nosedive serve` takes from its flags
// (named in the errors): 1 to 64 runs at once, 0 (the default) to 1024
// workers per run, and at least one connection in all and per client,
// per client at most in all.
func CheckSizes(maxRuns, workers int, l Limits) error {
	switch {
	case maxRuns < 1 || maxRuns > 64:
		return fmt.Errorf("--max-runs must be between 1 and 64, got %d", maxRuns)
	case workers < 0 || workers > 1024:
		return fmt.Errorf("--workers must be between 0 (default) and 1024, got %d", workers)
	case l.MaxConns < 1 || l.MaxConnsPerClient < 1 || l.MaxConnsPerClient > l.MaxConns:
		return fmt.Errorf("--max-conns and --max-conns-per-client must be at least 1, and per client at most in all; got %d and %d", l.MaxConns, l.MaxConnsPerClient)
	}
	return nil
}

// Token is the access token given one way at most: flag (--token), file
// (--token-file, read by ReadTokenFile) or env (the value of $TokenEnv),
// checked by CheckToken; "" when none is given. Errors name the way.
func Token(flag, file, env string) (string, error) {
	given := 0
	for _, v := range []string{flag, file, env} {
		if v != "" {
			given++
		}
	}
	if given > 1 {
		return "", fmt.Errorf("give the token one way: --token, --token-file or $%s", TokenEnv)
	}
	token, from := flag, "--token"
	switch {
	case file != "":
		from = "--token-file " + file
		t, err := ReadTokenFile(file)
		if err != nil {
			return "", fmt.Errorf("%s: %v", from, err)
		}
		token = t
	case env != "":
		token, from = env, "$"+TokenEnv
	}
	if token != "" {
		if err := CheckToken(token); err != nil {
			return "", fmt.Errorf("%s: %v", from, err)
		}
	}
	return token, nil
}

// ReadTokenFile reads an access token from the first line of a file
// (trailing spaces and a carriage return dropped). The file must be a
// regular file of at most 4 KiB, and the line must not be empty; the
// token itself is not checked here (CheckToken).
func ReadTokenFile(path string) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	if !fi.Mode().IsRegular() || fi.Size() > 4096 {
		return "", errors.New("not a regular file of at most 4 KiB")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	token, _, _ := strings.Cut(string(b), "\n")
	token = strings.TrimRight(token, "\r \t")
	if token == "" {
		return "", errors.New("the file is empty")
	}
	return token, nil
}

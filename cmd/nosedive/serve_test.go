package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nosedive-lab/nosedive/internal/web"
)

func TestServeRefusesPublicAddressWithoutToken(t *testing.T) {
	for _, args := range [][]string{
		{"serve", "--addr", "0.0.0.0:0", "--store", t.TempDir()},
		{"serve", "--addr", ":0", "--store", t.TempDir()},
		{"serve", "--addr", "0.0.0.0:0", "--token", "short", "--store", t.TempDir()},
		{"serve", "--max-runs", "0", "--store", t.TempDir()},
	} {
		code, _, stderr := cli(t, args...)
		if code != exitBadInput || !strings.Contains(stderr, "--") {
			t.Errorf("%v: exit %d, %q; want 2 with a message naming the flag", args, code, stderr)
		}
	}
	_, _, stderr := cli(t, "serve", "--addr", "0.0.0.0:0", "--store", t.TempDir())
	if !strings.Contains(stderr, "--token") || !strings.Contains(stderr, "loopback") {
		t.Errorf("message %q should say a token is needed for a non-loopback address", stderr)
	}
}

// TestServeStartsAndStops: serve on a free loopback port, answer a request,
// stop cleanly when the context ends.
func TestServeStartsAndStops(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	var out bytes.Buffer
	go func() {
		done <- runServe(ctx, serveOptions{addr: "127.0.0.1:0", store: t.TempDir(), maxRuns: 1, maxConns: 16, maxConnsPerClient: 16}, &out, ready)
	}()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("serve ended: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not start")
	}
	res, err := http.Get("http://" + addr + "/api/scenarios")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(b), "xinjiang-pilot") {
		t.Errorf("GET /api/scenarios: %d %s", res.StatusCode, b)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve returned %v after the context ended", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop")
	}
	if !strings.Contains(out.String(), "http://"+addr+"/") {
		t.Errorf("serve did not print its address: %q", out.String())
	}
}

// startServe runs serve in the background and returns its address and
// what it printed so far.
func startServe(t *testing.T, o serveOptions) (string, *bytes.Buffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	var out bytes.Buffer
	go func() { done <- runServe(ctx, o, &out, ready) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("serve did not stop")
		}
	})
	select {
	case addr := <-ready:
		return addr, &out
	case err := <-done:
		t.Fatalf("serve ended: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not start")
	}
	return "", nil
}

// The token comes from $NOSEDIVE_TOKEN or --token-file as well as
// --token, and the printed address works as printed, whatever
// characters a base64 token has.
func TestServeToken(t *testing.T) {
	const token = "a+b/c=d+e/f==g+h/i" // base64 characters a URL must escape
	file := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(file, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := func(v string) func(string) (string, bool) {
		return func(k string) (string, bool) {
			if k == web.TokenEnv && v != "" {
				return v, true
			}
			return "", false
		}
	}
	for name, o := range map[string]serveOptions{
		"flag": {token: token},
		"env":  {env: env(token)},
		"file": {tokenFile: file},
	} {
		o.addr, o.store, o.maxRuns, o.maxConns, o.maxConnsPerClient = "127.0.0.1:0", t.TempDir(), 1, 16, 16
		addr, out := startServe(t, o)
		line := out.String()
		i := strings.Index(line, "http://"+addr)
		if i < 0 {
			t.Fatalf("%s: no address printed: %q", name, line)
		}
		printed := strings.Fields(line[i:])[0]
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
		res, err := c.Get(printed)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Errorf("%s: GET %s: %d, want 200", name, printed, res.StatusCode)
		}
		res, err = c.Get("http://" + addr + "/api/runs")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Errorf("%s: with the cookie: %d, want 200", name, res.StatusCode)
		}
		res, err = http.Get("http://" + addr + "/api/runs")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s: without the token: %d, want 401", name, res.StatusCode)
		}
	}
	for name, o := range map[string]serveOptions{
		"two ways":     {token: token, env: env(token)},
		"short in env": {env: env("short")},
		"empty file":   {tokenFile: os.DevNull},
		"no file":      {tokenFile: file + ".missing"},
		"a space":      {token: "sixteen chars or more"},
	} {
		o.addr, o.store, o.maxRuns, o.maxConns, o.maxConnsPerClient = "127.0.0.1:0", t.TempDir(), 1, 16, 16
		err := runServe(context.Background(), o, io.Discard, nil)
		var bad *usageError
		if !errors.As(err, &bad) {
			t.Errorf("%s: %v, want bad input", name, err)
		}
	}
}

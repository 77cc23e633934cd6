package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
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
		done <- runServe(ctx, serveOptions{addr: "127.0.0.1:0", store: t.TempDir(), maxRuns: 1}, &out, ready)
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

package web

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestServe: Serve says where the lab is, with the token in the address
// when there is one, answers with the token and refuses without it, and
// when its context ends stops and says so.
func TestServe(t *testing.T) {
	token := strings.Repeat("b2", 12)
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	var out bytes.Buffer // written before ready and after done only
	store := t.TempDir()
	go func() {
		done <- Serve(ctx, Config{Store: store, Token: token, Loopback: true}, "127.0.0.1:0", &out, ready)
	}()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("Serve ended: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not start")
	}
	if want := "nosedive serve: the web lab is at http://" + addr + "/?token=" + token + " (store " + store + "; Ctrl-C stops it)\n"; out.String() != want {
		t.Errorf("said %q, want %q", out.String(), want)
	}
	get := func(url, token string) int {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if code := get("http://"+addr+"/api/scenarios", token); code != 200 {
		t.Errorf("with the token: %d", code)
	}
	if code := get("http://"+addr+"/api/scenarios", ""); code == 200 {
		t.Errorf("without the token: %d", code)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve returned %v after its context ended", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not stop")
	}
	if !strings.HasSuffix(out.String(), "\nnosedive serve: stopped\n") {
		t.Errorf("did not say it stopped: %q", out.String())
	}
}

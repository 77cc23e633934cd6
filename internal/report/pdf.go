package report

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/nosedive-lab/nosedive/internal/store"
)

// Browsers are the program names FindBrowser looks for on PATH, in order.
var Browsers = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}

// NoBrowserError says no headless Chromium was found to print a PDF with.
type NoBrowserError struct{}

func (NoBrowserError) Error() string {
	return "printing a PDF needs Chromium or Google Chrome, and none of " + strings.Join(Browsers, ", ") +
		" is on PATH: install one (Debian or Ubuntu: apt install chromium; Fedora: dnf install chromium; macOS: brew install --cask chromium) and run the command again"
}

// FindBrowser returns the path of the first of Browsers on PATH, or a
// NoBrowserError.
func FindBrowser() (string, error) {
	for _, name := range Browsers {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", NoBrowserError{}
}

// pdfTimeout bounds one print: a report prints in a few seconds.
const pdfTimeout = 2 * time.Minute

// PrintPDF prints the HTML file htmlPath to the PDF file pdfPath with
// browser (a Chromium) in headless mode, on A4 pages as the report's
// print stylesheet lays them out, without the browser's date and URL
// headers. The PDF is written to a temporary directory next to pdfPath
// and renamed into place only when Chromium produced a complete file (it
// starts with %PDF- and ends with %%EOF): pdfPath is never half-written.
// The browser runs with a fresh profile and no background networking; the
// report references nothing outside itself.
func PrintPDF(ctx context.Context, browser, htmlPath, pdfPath string) error {
	abs, err := filepath.Abs(htmlPath)
	if err != nil {
		return fmt.Errorf("print PDF: %w", err)
	}
	dir := filepath.Dir(pdfPath)
	tmp, err := os.MkdirTemp(dir, ".tmp-pdf-")
	if err != nil {
		return fmt.Errorf("print PDF: %w", err)
	}
	defer os.RemoveAll(tmp)
	out := filepath.Join(tmp, "report.pdf")
	ctx, cancel := context.WithTimeout(ctx, pdfTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--no-first-run", "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--user-data-dir="+filepath.Join(tmp, "profile"),
		"--no-pdf-header-footer", "--print-to-pdf="+out, (&url.URL{Scheme: "file", Path: abs}).String())
	var stderr bytes.Buffer
	cmd.Stderr, cmd.Stdout = &stderr, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("print PDF with %s: %w", browser, ctx.Err())
		}
		return fmt.Errorf("print PDF with %s: %w: %s", browser, err, lastLine(stderr.String()))
	}
	b, err := os.ReadFile(out)
	if err != nil {
		return fmt.Errorf("print PDF with %s: it wrote no file: %s", browser, lastLine(stderr.String()))
	}
	if err := checkPDF(b); err != nil {
		return fmt.Errorf("print PDF with %s: %w", browser, err)
	}
	if f, err := os.Open(out); err == nil {
		err = f.Sync()
		f.Close()
		if err != nil {
			return fmt.Errorf("print PDF: %w", err)
		}
	}
	if err := os.Rename(out, pdfPath); err != nil {
		return fmt.Errorf("print PDF: %w", err)
	}
	return store.SyncDir(dir)
}

// checkPDF tells whether b looks like a complete PDF file.
func checkPDF(b []byte) error {
	if !bytes.HasPrefix(b, []byte("%PDF-")) {
		return errors.New("the output is not a PDF file")
	}
	if !bytes.HasSuffix(bytes.TrimRight(b, "\r\n "), []byte("%%EOF")) {
		return errors.New("the PDF file is cut short (no %%EOF)")
	}
	return nil
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

package report

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/nosedive-lab/nosedive/internal/store"
)

// PDFBeside as Files.PDF puts the PDF next to the HTML file, with the
// extension .pdf (`report --pdf` without a file name).
const PDFBeside = "\x00beside"

// Files names the files Write writes.
type Files struct {
	HTML string // the report
	PDF  string // also print it to this PDF: "" none, PDFBeside next to HTML
	PNG  string // also write each chart as a PNG into this directory: "" none
}

// Write renders in to f.HTML atomically, then prints it to PDF and saves
// its charts as f asks, naming each file on w as it is written
// ("report: FILE (N charts)", "pdf: FILE", "chart: FILE"). Without a
// browser for the PDF it fails before anything is written.
func Write(ctx context.Context, w io.Writer, in Input, f Files) error {
	var browser string
	if f.PDF != "" {
		var err error
		if browser, err = FindBrowser(); err != nil {
			return err
		}
		if f.PDF == PDFBeside {
			f.PDF = strings.TrimSuffix(f.HTML, filepath.Ext(f.HTML)) + ".pdf"
		}
	}
	var pg *Page
	if err := store.WriteAtomic(f.HTML, func(w io.Writer) (err error) {
		pg, err = Render(w, in)
		return err
	}); err != nil {
		return err
	}
	fmt.Fprintf(w, "report: %s (%d charts)\n", f.HTML, len(pg.Charts))
	if f.PDF != "" {
		if err := PrintPDF(ctx, browser, f.HTML, f.PDF); err != nil {
			return err
		}
		fmt.Fprintf(w, "pdf: %s\n", f.PDF)
	}
	if f.PNG != "" {
		for _, c := range pg.Charts {
			path, err := c.SavePNG(f.PNG)
			if err != nil {
				return err
			}
			fmt.Fprintf(w, "chart: %s\n", path)
		}
	}
	return nil
}

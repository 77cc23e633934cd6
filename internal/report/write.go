package report

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/nosedive-lab/nosedive/internal/store"
	"github.com/nosedive-lab/nosedive/internal/sweep"
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

// WriteCurve writes the outcome curve of institution inst (the only one
// when inst is "") of the sweep in dir (sweep.OutcomeCurve) to f.HTML
// (default dir/curve.html) atomically, and each chart as a PNG into f.PNG
// when set, naming each file on w as it is written ("curve: FILE (...)",
// "chart: FILE"). A sweep without such a curve is a *sweep.CurveError
// after dir. The curve is HTML only: f.PDF is not read.
func WriteCurve(w io.Writer, dir, inst string, f Files, version string) error {
	c, err := sweep.OutcomeCurve(dir, inst)
	if ce := (*sweep.CurveError)(nil); errors.As(err, &ce) {
		return fmt.Errorf("%s: %w", dir, err)
	} else if err != nil {
		return err
	}
	if f.HTML == "" {
		f.HTML = filepath.Join(dir, "curve.html")
	}
	var pg *CurvePage
	if err := store.WriteAtomic(f.HTML, func(w io.Writer) (err error) {
		pg, err = RenderCurve(w, c, version)
		return err
	}); err != nil {
		return err
	}
	fmt.Fprintf(w, "curve: %s (%d groups, %d fixed-rate points, %d other policies)\n", f.HTML, len(c.Groups), len(c.Points), len(c.Marks))
	if f.PNG != "" {
		for _, ch := range pg.Charts {
			path, err := ch.SavePNG(f.PNG)
			if err != nil {
				return err
			}
			fmt.Fprintf(w, "chart: %s\n", path)
		}
	}
	return nil
}

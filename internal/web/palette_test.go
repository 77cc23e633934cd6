package web

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/nosedive-lab/nosedive/internal/report"
)

// The lab draws with the report's palette and dash patterns: one source of
// truth (internal/report's Palette and Dashes), copied into charts.js and
// held equal here.
func TestPaletteIsTheReports(t *testing.T) {
	b, err := assetsFS.ReadFile("assets/charts.js")
	if err != nil {
		t.Fatal(err)
	}
	js := string(b)
	var colours, dashes []string
	for _, c := range report.Palette {
		colours = append(colours, "'"+c+"'")
	}
	for _, d := range report.Dashes {
		var parts []string
		for _, x := range d {
			parts = append(parts, fmt.Sprintf("%g", x))
		}
		dashes = append(dashes, "'"+strings.Join(parts, " ")+"'")
	}
	for _, want := range []string{
		"const PALETTE = [" + strings.Join(colours, ", ") + "];",
		"const DASHES = [" + strings.Join(dashes, ", ") + "];",
	} {
		if !strings.Contains(js, want) {
			t.Errorf("assets/charts.js does not hold the report's list; it should read:\n%s", want)
		}
	}
	// No other colour list: every series colour in the lab's scripts comes
	// from PALETTE.
	other := regexp.MustCompile(`(?m)^const [A-Z_]*(PALETTE|COLOU?RS)[A-Z_]* =`)
	for _, f := range []string{"assets/charts.js", "assets/app.js"} {
		b, _ := assetsFS.ReadFile(f)
		if n := len(other.FindAll(b, -1)); n > map[string]int{"assets/charts.js": 1, "assets/app.js": 0}[f] {
			t.Errorf("%s defines another series palette", f)
		}
	}
}

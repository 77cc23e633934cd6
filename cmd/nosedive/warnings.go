package main

import (
	"fmt"
	"io"

	"github.com/nosedive-lab/nosedive/internal/scenario"
)

// scenarioWarnings prints a loaded scenario's warnings (its traps, see
// scenario.Warnings) to w as FILE:LINE:COL: warning: MESSAGE, or, with
// strict, returns them as scenario.Errors (exit code 2) instead.
func scenarioWarnings(w io.Writer, sc *scenario.Scenario, strict bool) error {
	if strict {
		return sc.Strict()
	}
	for _, d := range sc.Warnings() {
		d.Msg = "warning: " + d.Msg
		fmt.Fprintln(w, d)
	}
	return nil
}

// Package cliflag makes the command line's own errors, worded for
// people, and marks them as bad input (UsageError): a wrong number of
// arguments, a misspelt flag (with the nearest of the command's flags,
// "did you mean"), a number that does not parse (saying what was
// expected instead of strconv's words, with the digits of 20k or 1.5M as
// a hint) and cobra's unknown command.
//
// It parses nothing and imports no flag package (only cmd/nosedive
// does): it is given pflag's error and the command's flag names.
//
// Non-goals: defining or parsing flags, choosing exit codes
// (cmd/nosedive's main.go maps a UsageError to 2), and any error that is
// not the command line's.
package cliflag

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/nosedive-lab/nosedive/internal/rule"
)

// UsageError is bad input found on the command line itself: flags and
// arguments.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// Errorf formats a UsageError.
func Errorf(format string, args ...any) error {
	return &UsageError{Msg: fmt.Sprintf(format, args...)}
}

// ArgCount is the UsageError of the command cmdPath (such as "nosedive
// run") given got arguments where it takes want, pointing at its help.
func ArgCount(cmdPath string, want, got int) error {
	return Errorf("%s takes %d argument(s), got %d; see %s --help", cmdPath, want, got, cmdPath)
}

// Explain rewrites err, an error pflag returned while parsing the flags
// of the command cmdPath (such as "nosedive run"), whose flags are named
// flags, for people. An error it has no better words for is returned as
// it is.
func Explain(err error, flags []string, cmdPath string) string {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "unknown flag: --"); ok {
		if hint := rule.Suggest(name, flags); hint != "" {
			return msg + strings.Replace(hint, `"`, `"--`, 1)
		}
		return msg + "; see " + cmdPath + " --help"
	}
	// invalid argument "20k" for "--agents" flag: strconv.ParseInt: parsing "20k": invalid syntax
	if m := badNumber.FindStringSubmatch(msg); m != nil {
		value, flag, parser := m[1], m[2], m[3]
		want := "a whole number"
		if strings.Contains(parser, "ParseFloat") {
			want = "a number"
		} else if strings.Contains(parser, "ParseUint") {
			want = "a whole number, 0 or more"
		}
		hint := ""
		if n, ok := expandSuffix(value); ok {
			hint = fmt.Sprintf(" (write %s)", n)
		}
		if strings.Contains(msg, "value out of range") {
			return fmt.Sprintf("%s: %q is out of range for %s", flag, value, want)
		}
		return fmt.Sprintf("%s: %q is not %s%s", flag, value, want, hint)
	}
	return msg
}

var badNumber = regexp.MustCompile(`^invalid argument "(.*)" for "(?:-\w, )?(--[\w-]+)" flag: (strconv\.Parse\w+)`)

// expandSuffix turns 20k, 1.5M or 2G into digits, for the hint.
func expandSuffix(s string) (string, bool) {
	if len(s) < 2 {
		return "", false
	}
	mult := map[byte]float64{'k': 1e3, 'K': 1e3, 'm': 1e6, 'M': 1e6, 'g': 1e9, 'G': 1e9}[s[len(s)-1]]
	if mult == 0 {
		return "", false
	}
	x, err := strconv.ParseFloat(s[:len(s)-1], 64)
	if err != nil || x <= 0 || x*mult != math.Trunc(x*mult) {
		return "", false
	}
	return strconv.FormatFloat(x*mult, 'f', 0, 64), true
}

// UnknownCommand turns cobra's error for a command it does not know
// into a UsageError with cobra's words (and its "Did you mean" list),
// trimmed; any other error is returned as it is.
func UnknownCommand(err error) error {
	if err == nil || !strings.HasPrefix(err.Error(), "unknown command ") {
		return err
	}
	return Errorf("%s", strings.TrimSpace(err.Error()))
}

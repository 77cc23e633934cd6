package scenario

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/nosedive-lab/nosedive/internal/rule"
)

// Hints for two mistakes whose bare messages do not say what to do: a
// category name written without quotes in an expression (`tier ==
// restricted` reads restricted as a name), and a `?:` choice left
// unquoted in YAML, which reads its ": " as a key.

// unknownNameRe matches the compiler's message for a name it does not
// know, with or without its own "did you mean".
var unknownNameRe = regexp.MustCompile(`^unknown name "([^"]*)"`)

// suggestedRe takes the name out of rule.Suggest's " (did you mean "x"?)".
var suggestedRe = regexp.MustCompile(`did you mean "([^"]*)"`)

// nameHint rewrites an "unknown name" message when the name is the value
// of a category (a tier, group, region or age band) meant as a string, or
// a sanction or flag meant as sanctions.X or flags.X. off is the rune
// offset of the name in the expression, quote the quote character the
// rewritten expression can use.
func nameHint(msg, src string, off int, sc *rule.Schema, quote string) string {
	m := unknownNameRe.FindStringSubmatch(msg)
	if m == nil {
		return msg
	}
	name := m[1]
	runes := []rune(src)
	rest := ""
	if off >= 0 && off <= len(runes) {
		rest = string(runes[off:])
	}
	labels := [][]string{sc.Tiers, sc.Groups, sc.Regions, sc.Ages}
	kinds := []string{"tier", "group", "region", "age band"}
	// say suggests the string meant, with the expression rewritten when it
	// is short: the text was, at off, replaced by the quoted label.
	say := func(label, kind, was string) string {
		lit := quote + label + quote
		fix := lit
		if strings.HasPrefix(rest, was) && len(runes) <= 72 && !strings.Contains(src, "\n") {
			fix = string(runes[:off]) + lit + rest[len(was):]
		}
		return fmt.Sprintf("unknown name %q: did you mean the string %s (a %s)? write %s", name, lit, kind, fix)
	}
	for k, names := range labels {
		for _, n := range names {
			// A label with '-' (low-trust) parses as a subtraction: the
			// unknown name is its first part.
			if n == name || strings.Contains(n, "-") && strings.HasPrefix(n, name+"-") && strings.HasPrefix(rest, n) {
				return say(n, kinds[k], n)
			}
		}
	}
	// A misspelt category name, when the name is not close to a field.
	if !strings.Contains(msg, "did you mean") && strings.HasPrefix(rest, name) {
		for k, names := range labels {
			if m := suggestedRe.FindStringSubmatch(rule.Suggest(name, names)); m != nil {
				return say(m[1], kinds[k], name)
			}
		}
	}
	for _, x := range sc.Sanctions {
		if x == name {
			return fmt.Sprintf("unknown name %q: did you mean the sanction? write sanctions.%s", name, x)
		}
	}
	for _, f := range sc.Flags {
		if f == name {
			return fmt.Sprintf("unknown name %q: did you mean the flag? write flags.%s", name, f)
		}
	}
	return msg
}

// exprQuote is the quote character to suggest inside expression e: double
// quotes, unless the YAML scalar is itself in double quotes.
func exprQuote(d *diags, e Expr) string {
	if e.Quoted && !e.Block && e.Pos.Line > 0 {
		starts := d.LineStarts()
		if e.Pos.Line <= len(starts) {
			line := []rune(string(d.Src[starts[e.Pos.Line-1]:]))
			if c := e.Pos.Col - 1; c >= 0 && c < len(line) && line[c] == '"' {
				return "'"
			}
		}
	}
	return `"`
}

// choiceRe finds a ?: choice: "? " then, later, ": ".
var choiceRe = regexp.MustCompile(`(^|\s)\?\s.*\s:(\s|$)`)

// blockValueRe splits a block mapping line into its indentation and key
// and an unquoted value.
var blockValueRe = regexp.MustCompile(`^(\s*(?:-\s+)?)([A-Za-z_][A-Za-z0-9_]*):\s+([^"'{\[\s].*?)\s*$`)

// syntaxHint is the scenario format's hint for a YAML syntax error: when
// the line holds an unquoted ?: choice, YAML took its ": " for a key and
// the expression must be quoted.
func syntaxHint(line string, _ int) string {
	code := line
	if i := strings.Index(code, " #"); i >= 0 {
		code = code[:i]
	}
	if !choiceRe.MatchString(code) {
		return ""
	}
	const why = "; an expression with a ?: choice must be quoted, as YAML reads its \": \" as a key"
	m := blockValueRe.FindStringSubmatch(code)
	if m == nil {
		return why + ": put the expression in quotes"
	}
	val := m[3]
	q := `"`
	if strings.Contains(val, `"`) {
		q = "'"
	}
	if strings.Contains(val, q) {
		return why + ": put the expression in quotes"
	}
	return fmt.Sprintf("%s: write %s: %s%s%s", why, m[2], q, val, q)
}

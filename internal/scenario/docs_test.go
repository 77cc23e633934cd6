package scenario

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The scenario examples of the documentation are tests: every ```yaml
// block of docs/scenario-language.md, and every block of the other
// documents that starts with one of the markers below, is loaded and
// must do what the block says, by the convention the language document
// gives ("Examples in this document"):
//
//   - A block whose first line is "# base" is the base scenario fragments
//     are completed with (there is one).
//   - A block with a "# fragment" line is completed with the base: each
//     top-level key of the base that the block does not give is added
//     after the block's own text (so the block's line numbers are kept).
//   - Any other block is a whole scenario.
//   - "# error: TEXT" lines say the block is refused with a diagnostic
//     containing TEXT, one line per diagnostic expected; "# warning:
//     TEXT" likewise for warnings. A block without them must load with
//     no warnings.
var exampleDocs = []string{"scenario-language.md", "calibration.md"}

var (
	yamlBlockRe = regexp.MustCompile("(?ms)^```yaml\n(.*?)^```")
	topKeyRe    = regexp.MustCompile(`(?m)^([A-Za-z_]+):`)
	markerRe    = regexp.MustCompile(`(?m)^# (fragment|base|error|warning)\b:? ?(.*)$`)
)

type example struct {
	doc                 string
	line                int // of the block's first line in the document
	src                 string
	fragment, base      bool
	wantErrs, wantWarns []string
}

func docExamples(t *testing.T) []example {
	var out []example
	for _, doc := range exampleDocs {
		b, err := os.ReadFile(filepath.Join("..", "..", "docs", doc))
		if err != nil {
			t.Fatal(err)
		}
		text := string(b)
		for _, m := range yamlBlockRe.FindAllStringSubmatchIndex(text, -1) {
			ex := example{doc: doc, line: strings.Count(text[:m[2]], "\n") + 1, src: text[m[2]:m[3]]}
			marked := false
			for _, mk := range markerRe.FindAllStringSubmatch(ex.src, -1) {
				marked = true
				switch mk[1] {
				case "fragment":
					ex.fragment = true
				case "base":
					ex.base = true
				case "error":
					ex.wantErrs = append(ex.wantErrs, mk[2])
				case "warning":
					ex.wantWarns = append(ex.wantWarns, mk[2])
				}
			}
			if doc == "scenario-language.md" || marked {
				out = append(out, ex)
			}
		}
	}
	return out
}

// complete adds to a fragment the base's top-level sections it lacks.
func complete(fragment, base string) string {
	have := map[string]bool{}
	for _, m := range topKeyRe.FindAllStringSubmatch(fragment, -1) {
		have[m[1]] = true
	}
	var b strings.Builder
	b.WriteString(fragment)
	starts := topKeyRe.FindAllStringSubmatchIndex(base, -1)
	for k, m := range starts {
		end := len(base)
		if k+1 < len(starts) {
			end = starts[k+1][0]
		}
		if key := base[m[2]:m[3]]; !have[key] {
			b.WriteString(base[m[0]:end])
		}
	}
	return b.String()
}

func TestDocExamples(t *testing.T) {
	exs := docExamples(t)
	base := ""
	for _, ex := range exs {
		if ex.base {
			base = ex.src
		}
	}
	if base == "" {
		t.Fatal(`docs/scenario-language.md has no "# base" block`)
	}
	if len(exs) < 20 {
		t.Fatalf("only %d examples found", len(exs))
	}
	for _, ex := range exs {
		name := fmt.Sprintf("%s:%d", ex.doc, ex.line)
		t.Run(name, func(t *testing.T) {
			src := ex.src
			if ex.fragment {
				src = complete(src, base)
			}
			// A block that reads table files (data/...) is read as if it
			// sat in scenarios/, next to the data it names.
			file := name
			if strings.Contains(src, "file: data/") {
				file = filepath.Join("..", "..", "scenarios", "doc-example.yaml")
			}
			sc, err := Load(file, []byte(src), nil)
			var es Errors
			if err != nil && !errors.As(err, &es) {
				t.Fatal(err)
			}
			if len(ex.wantErrs) > 0 || err != nil {
				matchAll(t, "error", es, ex.wantErrs, src)
				return
			}
			matchAll(t, "warning", sc.Warnings(), ex.wantWarns, src)
		})
	}
}

// matchAll checks that the diagnostics are exactly one per wanted text,
// in order, each containing its text.
func matchAll(t *testing.T, what string, got Errors, want []string, src string) {
	t.Helper()
	ok := len(got) == len(want)
	for k := range min(len(got), len(want)) {
		ok = ok && strings.Contains(got[k].Msg, want[k])
	}
	if !ok {
		t.Errorf("%ss:\n%v\nwant one per line, containing:\n%s\n--- the scenario:\n%s", what, got, strings.Join(want, "\n"), src)
	}
}

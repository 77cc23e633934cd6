package scenario

import (
	"bytes"
	"flag"
	"fmt"
	"go/format"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
)

var updateCitations = flag.Bool("update-citations", false, "rewrite citations_gen.go from docs/calibration.md")

const calibrationDoc = "../../docs/calibration.md"

// parseCalibrationDoc reads the "### `key`" sections of docs/calibration.md:
// the citation is the section's text up to "Quality:", the quality the
// words after it up to the first full stop.
func parseCalibrationDoc(t *testing.T) []Citation {
	t.Helper()
	b, err := os.ReadFile(calibrationDoc)
	if err != nil {
		t.Fatal(err)
	}
	head := regexp.MustCompile("(?m)^### `([^`]+)`\\s*$")
	text := string(b)
	idx := head.FindAllStringSubmatchIndex(text, -1)
	var out []Citation
	for i, m := range idx {
		end := len(text)
		if i+1 < len(idx) {
			end = idx[i+1][0]
		}
		body := text[m[1]:end]
		if j := strings.Index(body, "\n## "); j >= 0 {
			body = body[:j]
		}
		key := text[m[2]:m[3]]
		flat := strings.Join(strings.Fields(body), " ")
		c := Citation{Key: key}
		if cite, rest, ok := strings.Cut(flat, "Quality:"); ok {
			c.Text = strings.ReplaceAll(strings.TrimSuffix(strings.TrimSpace(cite), " ."), "*", "")
			q, _, _ := strings.Cut(strings.TrimSpace(rest), ".")
			c.Quality = strings.TrimSpace(q)
		} else {
			c.Text = strings.TrimSpace(strings.SplitN(flat, ". ", 2)[0])
			c.Quality = "not a source"
		}
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// The catalogue compiled into the binary is docs/calibration.md's, entry
// for entry; `go test ./internal/scenario -update-citations` rewrites it.
func TestCitationsMatchCalibrationNotes(t *testing.T) {
	doc := parseCalibrationDoc(t)
	if len(doc) < 20 {
		t.Fatalf("docs/calibration.md has %d citation sections, want the full catalogue", len(doc))
	}
	var buf bytes.Buffer
	buf.WriteString("// Code generated from docs/calibration.md by `go test ./internal/scenario -update-citations`; DO NOT EDIT.\n\npackage scenario\n\nvar citations = map[string]Citation{\n")
	for _, c := range doc {
		fmt.Fprintf(&buf, "\t%q: {Key: %q, Text: %q, Quality: %q},\n", c.Key, c.Key, c.Text, c.Quality)
	}
	buf.WriteString("}\n")
	src, err := format.Source(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if *updateCitations {
		if err := os.WriteFile("citations_gen.go", src, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile("citations_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, src) {
		t.Fatal("citations_gen.go is out of date with docs/calibration.md: run go test ./internal/scenario -run TestCitationsMatchCalibrationNotes -update-citations")
	}
	for _, c := range doc {
		if c.Text == "" || c.Quality == "" {
			t.Errorf("docs/calibration.md: %s: no citation text or no Quality: line", c.Key)
		}
	}
}

func TestParseSource(t *testing.T) {
	tests := []struct {
		in   string
		want []SourceRef
		err  string
	}{
		{"essay", []SourceRef{{Key: "essay"}}, ""},
		{"rfa-2017: daily prayer; assumption: amount", []SourceRef{{"rfa-2017", "daily prayer"}, {"assumption", "amount"}}, ""},
		{"fed-2007: Table 3: 9.56% at 500-579", []SourceRef{{"fed-2007", "Table 3: 9.56% at 500-579"}}, ""},
		{"", nil, ""},
		{"RFA 2017-07-14", nil, `"RFA 2017-07-14" is not a citation key`},
		{"essay;", nil, `"" is not a citation key`},
	}
	for _, tt := range tests {
		got, err := ParseSource(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseSource(%q) error = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseSource(%q): %v", tt.in, err)
			continue
		}
		if fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("ParseSource(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
	if _, err := ResolveSource("rfa-2071", nil); err == nil || !strings.Contains(err.Error(), `did you mean "rfa-2017"`) {
		t.Errorf("ResolveSource(rfa-2071) = %v, want a did-you-mean for rfa-2017", err)
	}
	if _, err := ResolveSource("mine: a note", map[string]string{"mine": "My source"}); err != nil {
		t.Errorf("a scenario's own citation key: %v", err)
	}
}

// sourceFields returns every non-empty Source string field reachable from v,
// with its path, so that no kind of element (rule, tier, cap, sanction,
// phase, ...) escapes the check.
func sourceFields(v reflect.Value, path string, out map[string]string) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			sourceFields(v.Elem(), path, out)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			f := v.Type().Field(i)
			if !f.IsExported() {
				continue
			}
			if f.Name == "Source" && f.Type.Kind() == reflect.String {
				if s := v.Field(i).String(); s != "" {
					out[path+".source"] = s
				}
				continue
			}
			sourceFields(v.Field(i), path+"."+f.Name, out)
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			sourceFields(v.Index(i), fmt.Sprintf("%s[%d]", path, i), out)
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			sourceFields(v.MapIndex(k), fmt.Sprintf("%s[%v]", path, k), out)
		}
	}
}

// Every built-in cites only keys of docs/calibration.md, and every rule,
// tier, cap, sanction and phase of a built-in says where it comes from.
func TestBuiltinSourcesResolve(t *testing.T) {
	for _, b := range Builtins() {
		s, err := Resolve(b.Name, nil)
		if err != nil {
			t.Fatalf("%s: %v", b.Name, err)
		}
		found := map[string]string{}
		sourceFields(reflect.ValueOf(s), b.Name, found)
		if len(found) < 5 {
			t.Errorf("%s: only %d sources found", b.Name, len(found))
		}
		for path, src := range found {
			if _, err := ResolveSource(src, nil); err != nil {
				t.Errorf("%s: %v", path, err)
			}
		}
	}
}

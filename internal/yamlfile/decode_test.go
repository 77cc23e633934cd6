package yamlfile

import (
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type testItem struct {
	Name  string  `yaml:"name" jsonschema:"required"`
	Rate  float64 `yaml:"rate"`
	Extra *Node   `yaml:"extra"`
	Pos   Pos     `yaml:"-"`
}

type testFile struct {
	Title   string     `yaml:"title"`
	Count   int        `yaml:"count"`
	Seed    *uint64    `yaml:"seed"`
	On      bool       `yaml:"on"`
	Items   []testItem `yaml:"items"`
	Upper   upper      `yaml:"upper"`
	Ignored string     `yaml:"-"`
}

// upper has a hook: it takes a string and keeps it upper-cased.
type upper string

var testFormat = Format{Name: "test", MaxSize: 1 << 10}

func decodeTest(t *testing.T, f Format, src string) (*testFile, Positions, []string) {
	t.Helper()
	d := &Diags{File: "t.yaml", Src: []byte(src)}
	var out testFile
	pos := Positions{}
	if tree := Parse(f, d); tree != nil {
		dc := &Decoder{Diags: d, Root: f.Name, Pos: pos, Hooks: map[reflect.Type]Hook{
			reflect.TypeOf(upper("")): func(dc *Decoder, n *Node, v reflect.Value, path string) {
				if s, ok := dc.Scalar(n, path, "a word"); ok {
					v.SetString(strings.ToUpper(s.Value))
				}
			},
		}}
		dc.Decode(tree, &out)
	}
	var msgs []string
	if err := d.Err(); err != nil {
		msgs = strings.Split(err.Error(), "\n")
	}
	return &out, pos, msgs
}

// Each problem is reported at its place with its key path, all at once.
func TestDecodeDiagnostics(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      []string
	}{
		{"unknown keys", "titel: x\nitems:\n  - name: a\n    rat: 2\n", []string{
			`t.yaml:1:1: test: unknown key "titel" (did you mean "title"?)`,
			`t.yaml:4:5: items[0]: unknown key "rat" (did you mean "rate"?)`,
		}},
		{"wrong types", "title: [a]\ncount: 1.5\nseed: -1\non: yes\nitems: {name: a}\nupper: {}\n", []string{
			`t.yaml:1:8: title: expected a string, got a list`,
			`t.yaml:2:8: count: expected a whole number, got number 1.5`,
			`t.yaml:3:7: seed: expected a whole number >= 0 below 2^64, got -1`,
			`t.yaml:4:5: on: expected true or false, got "yes"`,
			`t.yaml:5:8: items: expected a list, got a mapping`,
			`t.yaml:6:8: upper: expected a word, got a mapping`,
		}},
		{"out of range", "count: 3000000000\n", []string{`t.yaml:1:8: count: whole number out of range: 3000000000`}},
		{"missing required key", "items:\n  - rate: 1\n  - nme: b\n", []string{
			`t.yaml:2:5: items[0]: missing key "name"`,
			// A misspelt required key gets the hint, not a second error.
			`t.yaml:3:5: items[1]: unknown key "nme" (did you mean "name"?)`,
		}},
		{"not a number", "items:\n  - {name: a, rate: .nan}\n", []string{`t.yaml:2:21: items[0].rate: must be a finite number, got .nan`}},
		{"root", "- 1\n", []string{`t.yaml:1:1: test: expected a mapping, got a list`}},
		{"duplicate key", "title: a\ntitle: b\n", []string{`t.yaml:2:1: syntax error: mapping key "title" already defined at [1:1]`}},
		{"empty", "\n# nothing\n", []string{`t.yaml:1:1: empty test file`}},
		{"two documents", "title: a\n---\ntitle: b\n", []string{`t.yaml:3:6: a test file holds one YAML document; found 2`}},
		{"byte budget", strings.Repeat("#", 1025), []string{`t.yaml: file is 1025 bytes; test files are limited to 1024 (the loader's byte budget)`}},
		{"depth budget", "title: " + strings.Repeat("[", 70) + strings.Repeat("]", 70), []string{`t.yaml:1:71: nesting deeper than 64 levels (the loader's depth budget)`}},
		{"custom tag", "title: !x a\n", []string{`t.yaml:1:8: YAML tag !x is not supported; an expression starting with ! must be quoted, e.g. '!x'`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, got := decodeTest(t, testFormat, tc.src)
			if diff := cmp.Diff(got, tc.want); diff != "" {
				t.Errorf("diagnostics (-got +want):\n%s", diff)
			}
		})
	}
}

// A good file decodes fully; Positions holds where each path was given,
// a *Node field gets the node, a Pos field its mapping's position, and
// aliases are expanded unless the format is Plain.
func TestDecodeValues(t *testing.T) {
	src := "title: T\ncount: 0\nseed: 7\nupper: abc\nitems:\n  - &a {name: a, rate: 1e-3, extra: [1, 2]}\n  - name: b\n    extra: *a\n"
	got, pos, msgs := decodeTest(t, testFormat, src)
	if msgs != nil {
		t.Fatalf("diagnostics: %v", msgs)
	}
	if got.Title != "T" || got.Count != 0 || got.Seed == nil || *got.Seed != 7 || got.Upper != "ABC" || len(got.Items) != 2 {
		t.Fatalf("decoded %+v", got)
	}
	if it := got.Items[0]; it.Rate != 1e-3 || it.Extra == nil || it.Extra.Kind != KindSeq || len(it.Extra.Items) != 2 || it.Pos != (Pos{Line: 6, Col: 8}) {
		t.Errorf("items[0] = %+v", it)
	}
	if ex := got.Items[1].Extra; ex == nil || ex.Kind != KindMap || ex.Get("name").Value != "a" || ex.Pos != (Pos{Line: 8, Col: 12}) {
		t.Errorf("items[1].extra (an alias) = %+v", ex)
	}
	for path, want := range map[string]Pos{"count": {Line: 2, Col: 8}, "items[0].rate": {Line: 6, Col: 24}, "items[1].name": {Line: 7, Col: 11}} {
		if p := pos.At(Pos{}, path); p != want {
			t.Errorf("At(%s) = %v, want %v", path, p, want)
		}
	}
	if p := pos.At(Pos{Line: 9, Col: 9}, "on"); p != (Pos{Line: 9, Col: 9}) {
		t.Errorf("At of a path not given = %v, want the fallback", p)
	}
	plain := Format{Name: "plain", MaxSize: 1 << 10, Plain: true}
	_, _, msgs = decodeTest(t, plain, src)
	if want := []string{"t.yaml:6:5: YAML tags, anchors and aliases are not supported in plain files"}; !cmp.Equal(msgs, want) {
		t.Errorf("plain format: %v, want %v", msgs, want)
	}
}

// Locate finds the file position of a rune offset inside a scalar, through
// quotes and escapes and a block scalar's indentation.
func TestLocate(t *testing.T) {
	src := "a: \"x \\\"y\\\" zz\"\nb: |\n  one\n  two three\nc: 1\n"
	d := &Diags{File: "t.yaml", Src: []byte(src)}
	tree := Parse(testFormat, d)
	if tree == nil {
		t.Fatal(d.Err())
	}
	for _, tc := range []struct {
		key  string
		text string // the decoded text up to the offset
		want Pos
	}{
		{"a", `x "y" `, Pos{Line: 1, Col: 13}},
		{"b", "one\ntwo ", Pos{Line: 4, Col: 7}},
	} {
		n := tree.Get(tc.key)
		if !strings.HasPrefix(n.Value, tc.text) {
			t.Fatalf("%s: %q does not start with %q", tc.key, n.Value, tc.text)
		}
		if got := d.Locate(n, len([]rune(tc.text))); got != tc.want {
			t.Errorf("%s: Locate = %v, want %v", tc.key, got, tc.want)
		}
	}
}

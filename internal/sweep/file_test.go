package sweep

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/google/go-cmp/cmp"

	"github.com/nosedive-lab/nosedive/internal/scenario"
	"github.com/nosedive-lab/nosedive/internal/yamlfile"
)

// Every file of testdata/bad fails with exactly these diagnostics, written
// by hand from the file: a sweep file goes through internal/yamlfile like
// a scenario, so its errors read like a scenario's (FILE:LINE:COL, the key
// path, "did you mean", every decoding problem at once, the same budgets).
func TestBadSweepFiles(t *testing.T) {
	want := map[string][]string{
		"unknown-key.yaml": {
			`unknown-key.yaml:6:1: sweep: unknown key "replicate" (did you mean "replicates"?)`,
			`unknown-key.yaml:9:5: parameters[0]: unknown key "valuse" (did you mean "values"?)`,
		},
		"wrong-type.yaml": {
			`wrong-type.yaml:4:9: agents: expected a whole number, got "many"`,
			`wrong-type.yaml:5:7: days: expected a whole number, got number 30.5`,
			`wrong-type.yaml:6:24: common_random_numbers: expected true or false, got "yes"`,
			`wrong-type.yaml:10:9: design: expected a mapping, got a list`,
		},
		"duplicate-key.yaml": {
			`duplicate-key.yaml:8:5: syntax error: mapping key "path" already defined at [6:5]`,
		},
		"too-deep.yaml": {
			`too-deep.yaml:6:74: nesting deeper than 64 levels (the loader's depth budget)`,
		},
		"bad-value.yaml": {
			`bad-value.yaml:11:9: design type "factorial" is not one of grid, list, lhs, morris, sobol`,
			`bad-value.yaml:12:8: keep: "agent" is not a run file a sweep can keep; choose from agents, ledger (daily.parquet and audit.json are always kept) (did you mean "agents"?)`,
		},
		"bad-point-value.yaml": {
			`bad-point-value.yaml:8:23: tiers.caps.0.best=excellent does not apply to scenario xinjiang-pilot: unknown tier "excellent" (scenario line 255)`,
		},
		"syntax.yaml": {
			`syntax.yaml:3:11: syntax error: sequence end token ']' not found`,
		},
		"tag.yaml": {
			`tag.yaml:5:5: YAML tags, anchors and aliases are not supported in sweep files`,
		},
	}
	files, err := filepath.Glob("testdata/bad/*.yaml")
	if err != nil || len(files) != len(want) {
		t.Fatalf("testdata/bad holds %d files (%v), the table %d", len(files), err, len(want))
	}
	for _, path := range files {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			_, err = Load(name, src, ".")
			var es scenario.Errors
			if !errors.As(err, &es) {
				t.Fatalf("Load: %v, want scenario.Errors", err)
			}
			got := strings.Split(es.Error(), "\n")
			if diff := cmp.Diff(got, want[name]); diff != "" {
				t.Errorf("diagnostics (-got +want):\n%s", diff)
			}
		})
	}
}

// A sweep file and a scenario file with the same mistakes get the same
// messages, word for word, apart from the file's name.
func TestSweepAndScenarioDiagnosticsAgree(t *testing.T) {
	bench, err := scenario.BuiltinSource("benchmark")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, sweep, scenario string }{
		{"unknown key at the top", head + "descripton: x\n", string(bench) + "descripton: x\n"},
		{"byte budget", strings.Repeat("#", MaxFileSize+1), strings.Repeat("#", scenario.MaxFileSize+1)},
		{"empty", "\n", "\n"},
		{"two documents", head + "---\nname: u\n", "name: x\n---\nname: u\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, e1 := Load("f.yaml", []byte(tc.sweep), ".")
			_, e2 := scenario.Load("f.yaml", []byte(tc.scenario), nil)
			var s1, s2 scenario.Errors
			if !errors.As(e1, &s1) || !errors.As(e2, &s2) {
				t.Fatalf("sweep %v, scenario %v", e1, e2)
			}
			// The diagnostic of each, with its kind of file named as such.
			g1 := strings.ReplaceAll(s1[0].Msg, "sweep", "KIND")
			g2 := strings.ReplaceAll(s2[0].Msg, "scenario", "KIND")
			g1 = strings.ReplaceAll(g1, "1048577 bytes; KIND files are limited to 1048576", "N bytes; KIND files are limited to M")
			g2 = strings.ReplaceAll(g2, "4194305 bytes; KIND files are limited to 4194304", "N bytes; KIND files are limited to M")
			if g1 != g2 || (s1[0].Line == 0) != (s2[0].Line == 0) {
				t.Errorf("sweep %q at %v, scenario %q at %v", s1[0].Msg, s1[0].Pos, s2[0].Msg, s2[0].Pos)
			}
		})
	}
}

// A parameter value is set (and stored in the tidy tables) with the text
// the decoder before internal/yamlfile gave it: goccy/go-yaml's Go value,
// formatted. The spellings here are held to that.
func TestValueTextAsBefore(t *testing.T) {
	for _, s := range []string{"50", "200.5", "average", `"x"`, `'a b'`, "true", "True", "FALSE", "1e-3", "1E3", "1.5e3",
		"0x10", "0o17", "0b101", "1_000", "0x_1F", "007", "010", "+5", "-3", "-0", "1.0", "3.", ".5", "+.5", "0.1e+1",
		".inf", "-.inf", ".nan", "18446744073709551615", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
		"no", "yes", "1:2", `"0x10"`} {
		var old struct {
			V any `yaml:"v"`
		}
		if err := yaml.Unmarshal([]byte("v: "+s), &old); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		want := ""
		switch x := old.V.(type) {
		case string:
			want = x
		case bool, int64, uint64, float64:
			want = formatOld(x)
		default:
			t.Fatalf("%s: goccy gave %T", s, x)
		}
		d := &yamlfile.Diags{File: "v", Src: []byte("v: " + s)}
		n := yamlfile.Parse(sweepFormat, d).Get("v")
		got, ok := valueText(n)
		if !ok || got != want {
			t.Errorf("%s: got %q, want %q (goccy's %T %v)", s, got, want, old.V, old.V)
		}
	}
}

// formatOld is how the loader before internal/yamlfile wrote a decoded value.
func formatOld(v any) string {
	switch x := v.(type) {
	case bool:
		return strconv.FormatBool(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case uint64:
		return strconv.FormatUint(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	}
	panic(v)
}

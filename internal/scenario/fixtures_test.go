package scenario

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Each file in testdata/bad holds one mistake; NAME.want next to it holds
// the diagnostics Load reports, one per line, without the leading "path:".
// The expectations were checked by hand to be sensible and to point at the
// mistake; refresh them with -update after a deliberate change and review
// the diff.
var update = flag.Bool("update", false, "rewrite testdata/bad/*.want from the loader's output")

// loadFile loads a testdata file by its relative path, as the CLI would.
func loadFile(t testing.TB, path string, sets []string) (*Scenario, error) {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return Load(path, src, sets)
}

func TestBadScenarios(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "bad", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 60 {
		t.Errorf("only %d bad scenarios; the catalogue should hold at least 60", len(files))
	}
	for _, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), ".yaml")
		t.Run(name, func(t *testing.T) {
			sc, err := loadFile(t, path, nil)
			if err == nil {
				t.Fatalf("Load accepted a bad scenario (name %q)", sc.Name)
			}
			if sc != nil {
				t.Errorf("Load returned a scenario along with an error")
			}
			var es Errors
			if !errors.As(err, &es) {
				t.Fatalf("error is %T, want scenario.Errors: %v", err, err)
			}
			var got []string
			for _, d := range es {
				if d.File != path {
					t.Errorf("diagnostic %q names file %q, want %q", d.Msg, d.File, path)
				}
				got = append(got, strings.TrimPrefix(d.String(), path+":"))
			}
			wantFile := filepath.Join("testdata", "bad", name+".want")
			if *update {
				if err := os.WriteFile(wantFile, []byte(strings.Join(got, "\n")+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			b, err := os.ReadFile(wantFile)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			want := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("diagnostics differ (-want +got):\n%s", diff)
			}
			for _, d := range es {
				if d.Line < 1 && !strings.HasPrefix(d.Msg, "--set") {
					t.Errorf("diagnostic %q has no position", d.Msg)
				}
			}
		})
	}
}

func TestGoodScenarios(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "good", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no files in testdata/good")
	}
	for _, path := range files {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".yaml"), func(t *testing.T) {
			sc, err := loadFile(t, path, nil)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if sc.File != path {
				t.Errorf("File = %q, want %q", sc.File, path)
			}
			if _, err := sc.Compile(); err != nil {
				t.Errorf("Compile: %v", err)
			}
		})
	}
}

// TestGoodDefaults checks the defaults the loader fills in for a minimal
// scenario; docs/scenario-language.md documents them.
func TestGoodDefaults(t *testing.T) {
	sc, err := loadFile(t, filepath.Join("testdata", "good", "minimal.yaml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]any{
		"run.agents":      sc.Run.Agents,
		"run.days":        sc.Run.Days,
		"run.seed":        sc.Run.Seed,
		"run.ledger":      sc.Run.Ledger,
		"ages":            sc.Population.Ages.Names(),
		"network.model":   sc.Network.Model,
		"network.degree":  sc.Network.Degree,
		"network.rewire":  sc.Network.Rewire,
		"recovery is nil": sc.Scoring.Recovery == nil,
	}
	want := map[string]any{
		"run.agents":      100000,
		"run.days":        365,
		"run.seed":        uint64(1),
		"run.ledger":      "sample:0.001",
		"ages":            []string{"adult"},
		"network.model":   "watts-strogatz",
		"network.degree":  10,
		"network.rewire":  0.1,
		"recovery is nil": true,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("defaults differ (-want +got):\n%s", diff)
	}
}

func TestSetOverrides(t *testing.T) {
	full := filepath.Join("testdata", "good", "full.yaml")
	minimal := filepath.Join("testdata", "good", "minimal.yaml")
	ok := []struct {
		name  string
		file  string
		sets  []string
		check func(*Scenario) any // returns the overridden value
		want  any
	}{
		{"existing run value", full, []string{"run.agents=5000"},
			func(s *Scenario) any { return s.Run.Agents }, 5000},
		{"underscores and hex are YAML numbers", full, []string{"run.agents=1_000", "run.days=0x10"},
			func(s *Scenario) any { return []int{s.Run.Agents, s.Run.Days} }, []int{1000, 16}},
		{"list item by name", full, []string{"scoring.rules.alcohol.amount=-10"},
			func(s *Scenario) any { return s.Scoring.Rules[0].Amount.Src }, "-10"},
		{"list item by index", full, []string{"scoring.rules.1.amount=-40"},
			func(s *Scenario) any { return s.Scoring.Rules[1].Amount.Src }, "-40"},
		{"expression value", full, []string{"chilling.visible=detained"},
			func(s *Scenario) any { return s.Chilling.Visible.Src }, "detained"},
		{"tier min by name", full, []string{"tiers.levels.trustworthy.min=1100"},
			func(s *Scenario) any { return *s.Tiers.Levels[0].Min }, 1100.0},
		{"cap by index", full, []string{"tiers.caps.0.best=trustworthy"},
			func(s *Scenario) any { return s.Tiers.Caps[0].Best }, "trustworthy"},
		{"shares entries", full, []string{"population.regions.capital.groups.majority=0.75", "population.regions.capital.groups.minority=0.25"},
			func(s *Scenario) any {
				g := s.Population.Regions[0].Groups
				return map[string]float64{g[0].Name: g[0].Value, g[1].Name: g[1].Value}
			}, map[string]float64{"majority": 0.75, "minority": 0.25}},
		{"later set wins", full, []string{"run.days=10", "run.days=20"},
			func(s *Scenario) any { return s.Run.Days }, 20},
		{"quoted string", full, []string{`description="a: b"`},
			func(s *Scenario) any { return s.Description }, "a: b"},
		{"missing key is added", minimal, []string{"relationships.form_rate=0.01"},
			func(s *Scenario) any { return s.Relationships.FormRate }, 0.01},
		{"missing section is created", minimal, []string{"network.degree=4"},
			func(s *Scenario) any { return []any{s.Network.Model, s.Network.Degree} }, []any{"watts-strogatz", 4}},
		{"nested mapping is created in a list item", full, []string{"behaviours.publish_investigation.chill.self=0.25"},
			func(s *Scenario) any { return s.Behaviours[2].Chill.Self }, 0.25},
		{"a plain list entry is set", full, []string{"scoring.range.1=1500"},
			func(s *Scenario) any { return s.Scoring.Range[1] }, 1500.0},
	}
	for _, tc := range ok {
		t.Run(tc.name, func(t *testing.T) {
			sc, err := loadFile(t, tc.file, tc.sets)
			if err != nil {
				t.Fatalf("Load with %q: %v", tc.sets, err)
			}
			if diff := cmp.Diff(tc.want, tc.check(sc)); diff != "" {
				t.Errorf("value differs (-want +got):\n%s", diff)
			}
		})
	}

	bad := []struct {
		name string
		sets []string
		want string
	}{
		{"no equals sign", []string{"run.agents"},
			full + `: --set "run.agents": expected key=value`},
		{"no key", []string{"=5"},
			full + `: --set "=5": expected key=value`},
		{"empty value", []string{"run.agents="},
			full + `: --set run.agents: the value must be a single number, word or quoted string`},
		{"list value", []string{"run.agents=[1, 2]"},
			full + `: --set run.agents: the value must be a single number, word or quoted string`},
		{"unquoted colon", []string{"description=a: b"},
			full + `: --set description: the value must be a single number, word or quoted string`},
		{"unknown item name", []string{"scoring.rules.alchol.amount=1"},
			full + `: --set scoring.rules.alchol.amount: no item "alchol" in the list (did you mean "alcohol"?)`},
		{"index out of range", []string{"scoring.rules.9.amount=1"},
			full + `: --set scoring.rules.9.amount: no item "9" in the list`},
		{"whole list item", []string{"scoring.rules.alcohol=1"},
			full + `: --set scoring.rules.alcohol: only single values can be set, not whole list items`},
		{"field of a single value", []string{"run.agents.x=1"},
			full + `: --set run.agents.x: run.agents is a single value, it has no field "x"`},
		{"every bad set is reported", []string{"run.agents", "run.days.x=1"},
			full + `: --set "run.agents": expected key=value` + "\n" +
				full + `: --set run.days.x: run.days is a single value, it has no field "x"`},
		{"wrong type is checked like the file", []string{"run.agents=abc"},
			full + `:6:3: run.agents: expected a whole number, got "abc"`},
		{"new value is validated", []string{"tiers.levels.average.min=2000"},
			full + `:103:7: tier average: min 2000 must be below the previous tier's min 1050 (levels go best first)`},
		{"new expression is compiled", []string{"chilling.visible=scroe > 1"},
			full + `: --set chilling.visible=scroe > 1: chilling.visible: unknown name "scroe" (did you mean "score"?)`},
		{"new value is range-checked", []string{"relationships.break_rate=2"},
			full + `:34:35: relationships.break_rate must be a probability in [0, 1], got 2`},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadFile(t, full, tc.sets)
			if err == nil {
				t.Fatalf("Load with %q succeeded", tc.sets)
			}
			var es Errors
			if !errors.As(err, &es) {
				t.Fatalf("error is %T, want scenario.Errors: %v", err, err)
			}
			if diff := cmp.Diff(tc.want, err.Error()); diff != "" {
				t.Errorf("error differs (-want +got):\n%s", diff)
			}
		})
	}

	// A value set in a section the file leaves out has no position.
	_, err := loadFile(t, minimal, []string{"population.households.partnered=2"})
	want := minimal + `: households.partnered must be a probability in [0, 1], got 2`
	if err == nil {
		t.Errorf("Load accepted households.partnered=2")
	} else if diff := cmp.Diff(want, err.Error()); diff != "" {
		t.Errorf("error differs (-want +got):\n%s", diff)
	}

	// A set never changes the caller's source.
	src, err := os.ReadFile(full)
	if err != nil {
		t.Fatal(err)
	}
	before := string(src)
	if _, err := Load(full, src, []string{"run.agents=5000"}); err != nil {
		t.Fatal(err)
	}
	if string(src) != before {
		t.Error("Load modified its source")
	}
}

// FuzzLoad checks that no input, and no --set override, makes Load panic,
// and that every failure is a scenario.Errors with usable positions.
func FuzzLoad(f *testing.F) {
	for _, dir := range []string{"bad", "good"} {
		files, err := filepath.Glob(filepath.Join("testdata", dir, "*.yaml"))
		if err != nil {
			f.Fatal(err)
		}
		for _, path := range files {
			src, err := os.ReadFile(path)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(src, "")
			if dir == "good" {
				f.Add(src, "run.agents=5000")
				f.Add(src, "scoring.rules.0.amount=1/0")
				f.Add(src, "tiers.levels.0.name=x")
			}
		}
	}
	// Each hostile shape just past its budget, so that mutations explore
	// both sides of every budget.
	for _, h := range hostiles(f) {
		f.Add([]byte(h.make(h.seed)), "")
	}
	f.Fuzz(func(t *testing.T, src []byte, set string) {
		var sets []string
		if set != "" {
			sets = []string{set}
		}
		sc, err := Load("fuzz.yaml", src, sets)
		if err == nil {
			if sc == nil {
				t.Fatal("Load returned neither a scenario nor an error")
			}
			if _, err := sc.Compile(); err != nil {
				t.Fatalf("a scenario that validated does not compile: %v", err)
			}
			return
		}
		var es Errors
		if !errors.As(err, &es) {
			t.Fatalf("error is %T, want scenario.Errors: %v", err, err)
		}
		if len(es) == 0 {
			t.Fatal("empty scenario.Errors")
		}
		for _, d := range es {
			if d.Line < 0 || d.Col < 0 {
				t.Errorf("diagnostic with a negative position: %+v", d)
			}
			if d.File != "fuzz.yaml" {
				t.Errorf("diagnostic names file %q: %+v", d.File, d)
			}
			if d.Msg == "" {
				t.Errorf("diagnostic without a message: %+v", d)
			}
		}
	})
}

func TestMergeOverride(t *testing.T) {
	sc, err := loadFile(t, filepath.Join("testdata", "good", "merge_override.yaml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	r := sc.Population.Regions
	if r[1].Name != "south" || r[1].Share != 0.5 || r[1].CamerasPer1000 != 1e-3 || r[0].CamerasPer1000 != 5 {
		t.Errorf("regions after merge: %+v", r)
	}
}

// A 100 MB scenario file (made here, never committed) is refused by size
// before it is read.
func TestHugeFileRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "huge.yaml")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	line := []byte("# padding padding padding padding padding padding padding padding padding\n")
	for written := 0; written < 100<<20; written += len(line) {
		if _, err := f.Write(line); err != nil {
			t.Fatal(err)
		}
	}
	f.Close()
	_, err = Resolve(path, nil)
	var es Errors
	if !errors.As(err, &es) || len(es) != 1 || !strings.Contains(es[0].Msg, "scenario files are limited to") || es[0].File != path {
		t.Fatalf("got %v, want one size diagnostic naming %s", err, path)
	}
}

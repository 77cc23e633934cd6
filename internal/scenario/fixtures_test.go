package scenario

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// badScenarios maps each file in testdata/bad to the diagnostics Load
// reports for it, in order, without the leading "path:". Each file holds one
// mistake; the expectations were recorded from the loader's output after
// checking that each message is sensible and points at the mistake.
var badScenarios = []struct {
	file string
	want []string
}{
	{"acq_nested.yaml", []string{
		"13:51: scoring.rules.herd.when: acq.* cannot be nested",
	}},
	{"amount_is_category.yaml", []string{
		"13:39: scoring.rules.drift.amount: expected a number, got a tier name",
	}},
	{"bad_name.yaml", []string{
		"5:12: trait name \"has infant\": use letters, digits and _ only, starting with a letter",
	}},
	{"behaviour_without_channel.yaml", []string{
		"11:5: behaviour buy_alcohol: needs a channel",
	}},
	{"cameras_negative.yaml", []string{
		"4:7: region all: cameras_per_1000 must be in [0, 1000], got -3",
	}},
	{"cap_best_below_worst.yaml", []string{
		"11:7: tier cap: best bad is below worst good",
	}},
	{"channel_without_detection.yaml", []string{
		"11:14: channel cameras: needs detect or per_camera",
	}},
	{"children_sanction_blocks.yaml", []string{
		"17:5: sanction family_ban: a sanction on children can only block school admission",
	}},
	{"children_too_many.yaml", []string{
		"5:15: households.children must be in [0, 20], got 25",
	}},
	{"comment_only.yaml", []string{
		"1:1: empty scenario file",
	}},
	{"deep_nesting.yaml", []string{
		"2:78: nesting deeper than 64 levels",
	}},
	{"detect_and_per_camera.yaml", []string{
		"11:14: channel cameras: give detect or per_camera, not both",
	}},
	{"detect_probability.yaml", []string{
		"11:14: channel cameras: detect must be a probability in [0, 1], got 1.2",
	}},
	{"division_by_zero.yaml", []string{
		"13:46: scoring.rules.drift.amount: division by zero",
	}},
	{"duplicate_behaviour.yaml", []string{
		"14:5: duplicate behaviour name \"buy_alcohol\" (first at line 13)",
	}},
	{"duplicate_key.yaml", []string{
		"8:3: syntax error: mapping key \"range\" already defined at [6:3]",
	}},
	{"duplicate_sanction.yaml", []string{
		"18:5: duplicate sanction name \"travel_ban\" (first at line 17)",
	}},
	{"empty.yaml", []string{
		"1:1: empty scenario file",
	}},
	{"empty_expression.yaml", []string{
		"13:37: scoring.rules[0].when: empty expression",
	}},
	{"expression_syntax.yaml", []string{
		"15:21: scoring.rules.drift.when: syntax error: unexpected token Operator(\">\")",
	}},
	{"float_for_whole_number.yaml", []string{
		"2:13: run.days: expected a whole number, got number 1.5",
	}},
	{"gravity_out_of_range.yaml", []string{
		"13:5: behaviour buy_alcohol: gravity must be in [0, 10], got 11",
	}},
	{"group_shares_sum.yaml", []string{
		"4:7: region all: groups: shares sum to 0.75, not 1",
	}},
	{"inf_value.yaml", []string{
		"6:14: scoring.range[1]: must be a finite number, got .inf",
	}},
	{"initial_outside_range.yaml", []string{
		"7:13: initial score 500 is outside scoring.range",
	}},
	{"initial_unknown_group.yaml", []string{
		"8:7: unknown group \"hann\" (did you mean \"han\"?)",
	}},
	{"last_tier_min.yaml", []string{
		"11:7: tier bad: the last (worst) tier takes everyone below the others; remove its min",
	}},
	{"ledger_fraction.yaml", []string{
		"2:6: run.ledger: sample:FRACTION needs a fraction in (0, 1], e.g. sample:0.001",
	}},
	{"list_for_expression.yaml", []string{
		"13:69: behaviours[0].rate: expected a number or an expression, got a list",
	}},
	{"list_for_mapping.yaml", []string{
		"11:3: network: expected a mapping, got a list",
	}},
	{"mapping_for_list.yaml", []string{
		"10:13: behaviours: expected a list, got a mapping",
	}},
	{"modulo_by_zero.yaml", []string{
		"13:42: scoring.rules.weekly.when: modulo by zero",
	}},
	{"nan_rate.yaml", []string{
		"13:69: behaviours[0].rate: must be a finite number, got .nan",
	}},
	{"nan_value.yaml", []string{
		"4:26: population.regions[0].share: must be a finite number, got .nan",
	}},
	{"negative_agents.yaml", []string{
		"2:6: run.agents must be between 2 and 2000000000, got -5",
	}},
	{"negative_seed.yaml", []string{
		"2:13: run.seed: expected a whole number >= 0 below 2^64, got -1",
	}},
	{"network_model_typo.yaml", []string{
		"10:10: network.model \"watts-strogats\": use watts-strogatz, homophilous or none (did you mean \"watts-strogatz\"?)",
	}},
	{"network_odd_degree.yaml", []string{
		"10:10: network.degree must be an even number in [0, 1000], got 7",
	}},
	{"no_name.yaml", []string{
		"1:1: scenario needs a name",
	}},
	{"nul_bytes.yaml", []string{
		"1:1: not a text file (contains NUL bytes)",
	}},
	{"number_for_condition.yaml", []string{
		"18:17: sanctions.travel_ban.when: expected a condition (true/false), got a number",
	}},
	{"partner_inside_acq.yaml", []string{
		"13:55: scoring.rules.herd.when: partner is not available inside acq.*(...)",
	}},
	{"phase_unknown_rule.yaml", []string{
		"13:5: unknown rule \"drfit\" (did you mean \"drift\"?)",
	}},
	{"phases_out_of_order.yaml", []string{
		"12:5: phase pilot: phases must be listed in order of day",
	}},
	{"rate_is_condition.yaml", []string{
		"13:75: behaviours.buy_alcohol.rate: expected a number, got a condition",
	}},
	{"recovery_direction.yaml", []string{
		"8:13: recovery.direction must be up, down or both, got \"upward\"",
	}},
	{"recovery_unknown_flag.yaml", []string{
		"10:13: unknown flag \"wathced\" (did you mean \"watched\"?)",
	}},
	{"region_shares_sum.yaml", []string{
		"3:10: population.regions: shares sum to 0.75, not 1",
	}},
	{"release_score_outside_range.yaml", []string{
		"20:13: sanction camp: detain.release_score is outside scoring.range",
	}},
	{"reserved_trait.yaml", []string{
		"5:12: trait name \"score\" is reserved for a built-in field",
	}},
	{"rule_on_and_every.yaml", []string{
		"13:7: rule alcohol: give on (an event rule) or every (a periodic rule), not both",
	}},
	{"rule_without_trigger.yaml", []string{
		"13:7: rule alcohol: needs on (a behaviour) or every (days)",
	}},
	{"sanction_bad_target.yaml", []string{
		"17:5: sanction school_block: target must be self or children, got \"kids\"",
	}},
	{"sanction_blocks_unknown.yaml", []string{
		"17:5: unknown behaviour \"travel_abrod\" (did you mean \"travel_abroad\"?)",
	}},
	{"sanction_without_when.yaml", []string{
		"17:5: sanction travel_ban: needs a when condition",
	}},
	{"school_on_self.yaml", []string{
		"17:5: sanction school_block: school admission blocks apply to children; set target: children",
	}},
	{"string_for_bool.yaml", []string{
		"13:85: behaviours[0].penalised: expected true or false, got \"yes\"",
	}},
	{"string_for_number.yaml", []string{
		"4:26: population.regions[0].share: expected a number, got \"one\"",
	}},
	{"string_for_whole_number.yaml", []string{
		"2:15: run.agents: expected a whole number, got \"lots\"",
	}},
	{"syntax_bad_indent.yaml", []string{
		"5:6: syntax error: value is not allowed in this context",
	}},
	{"syntax_tab.yaml", []string{
		"3:1: syntax error: found character '\t' that cannot start any token",
	}},
	{"syntax_unclosed_brace.yaml", []string{
		"6:1: syntax error: ',' or '}' must be specified",
	}},
	{"syntax_unclosed_quote.yaml", []string{
		"1:7: syntax error: could not find end character of double-quoted text",
	}},
	{"tier_without_min.yaml", []string{
		"10:7: tier good: needs a min (only the last tier has none)",
	}},
	{"tiers_out_of_order.yaml", []string{
		"11:7: tier good: min 70 must be below the previous tier's min 40 (levels go best first)",
	}},
	{"trait_probability.yaml", []string{
		"6:7: trait smoker: p must be a probability in [0, 1], got 1.5",
	}},
	{"two_documents.yaml", []string{
		"10:5: a scenario file holds one YAML document; found 2",
	}},
	{"undefined_name.yaml", []string{
		"13:37: scoring.rules.drift.when: unknown name \"scroe\" (did you mean \"score\"?)",
	}},
	{"unknown_alias.yaml", []string{
		"7:13: unknown alias *start",
	}},
	{"unknown_behaviour_in_on.yaml", []string{
		"13:7: unknown behaviour \"buy_alcohl\" (did you mean \"buy_alcohol\"?)",
	}},
	{"unknown_channel.yaml", []string{
		"13:5: unknown channel \"payment\" (did you mean \"payments\"?)",
	}},
	{"unknown_flag.yaml", []string{
		"14:43: scoring.rules.drift.when: unknown flag \"drinkr\" (did you mean \"drinker\"?) (flags are declared by a rule's set_flags)",
	}},
	{"unknown_function.yaml", []string{
		"13:40: scoring.rules.drift.amount: unknown function \"maxx\" (did you mean \"max\"?); rules can call min, max, abs, clamp, floor, ceil, round",
	}},
	{"unknown_key_behaviour.yaml", []string{
		"13:74: behaviours[0]: unknown key \"penalized\" (did you mean \"penalised\"?)",
	}},
	{"unknown_key_nested.yaml", []string{
		"4:45: population.regions[0]: unknown key \"camera_per_1000\" (did you mean \"cameras_per_1000\"?)",
	}},
	{"unknown_key_top.yaml", []string{
		"2:1: scenario: unknown key \"populaton\" (did you mean \"population\"?)",
	}},
	{"unknown_sanction_in_expression.yaml", []string{
		"18:38: sanctions.exit_ban.when: unknown sanction \"travel_bann\" (did you mean \"travel_ban\"?)",
	}},
	{"unknown_tier_in_cap.yaml", []string{
		"11:7: unknown tier \"god\" (did you mean \"good\"?)",
	}},
	{"unknown_tier_string.yaml", []string{
		"17:38: sanctions.travel_ban.when: unknown tier \"trustwrthy\" (did you mean \"trustworthy\"?) (known: trustworthy, untrustworthy)",
	}},
	{"unquoted_colon_in_expression.yaml", []string{
		"16:11: syntax error: mapping value is not allowed in this context",
	}},
	{"where_unknown_region.yaml", []string{
		"9:11: unknown region \"nrth\" (did you mean \"north\"?)",
	}},
}

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
	onDisk := map[string]bool{}
	for _, f := range files {
		onDisk[filepath.Base(f)] = true
	}
	inTable := map[string]bool{}
	for _, tc := range badScenarios {
		if inTable[tc.file] {
			t.Errorf("%s: listed twice in badScenarios", tc.file)
		}
		inTable[tc.file] = true
		if !onDisk[tc.file] {
			t.Errorf("%s: listed in badScenarios but not in testdata/bad", tc.file)
		}
	}
	for f := range onDisk {
		if !inTable[f] {
			t.Errorf("testdata/bad/%s has no expectation in badScenarios", f)
		}
	}
	for _, tc := range badScenarios {
		t.Run(strings.TrimSuffix(tc.file, ".yaml"), func(t *testing.T) {
			path := filepath.Join("testdata", "bad", tc.file)
			if !onDisk[tc.file] {
				t.Skip("file missing")
			}
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
			want := make([]string, len(tc.want))
			for i, w := range tc.want {
				want[i] = path + ":" + w
			}
			if diff := cmp.Diff(strings.Join(want, "\n"), err.Error()); diff != "" {
				t.Errorf("diagnostics differ (-want +got):\n%s", diff)
			}
			for _, d := range es {
				if d.File != path {
					t.Errorf("diagnostic %q names file %q, want %q", d.Msg, d.File, path)
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
		{"nested mapping is created in a list item", full, []string{"sanctions.travel_ban.detain.release_after=3"},
			func(s *Scenario) any { return s.Sanctions[0].Detain.ReleaseAfter }, 3},
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
			full + `:71:3: chilling.visible: unknown name "scroe" (did you mean "score"?)`},
		{"new value is range-checked", []string{"relationships.break_rate=2"},
			full + `:34:16: relationships.break_rate must be a probability in [0, 1], got 2`},
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

package scenario

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestEveryStageInOneRun: a file with mistakes at decoding, validation
// and expression compilation reports all of them at once, in file order,
// each at its line and column; a check about a value that failed to
// decode (trait poor's p) is not reported twice. The expectations are
// written by hand from the file.
func TestEveryStageInOneRun(t *testing.T) {
	path := filepath.Join("testdata", "stages", "every_stage.yaml")
	_, err := loadFile(t, path, nil)
	es, ok := err.(Errors)
	if !ok {
		t.Fatalf("got %v, want Errors", err)
	}
	var got []string
	for _, d := range es {
		got = append(got, fmt.Sprintf("%d:%d: %s", d.Line, d.Col, d.Msg))
	}
	want := []string{
		`10:45: population.regions[0]: unknown key "camras_per_1000" (did you mean "cameras_per_1000"?)`,                      // decoding
		`11:28: population.traits[0].p: expected a number, got "lots"`,                                                        // decoding
		`13:14: relationships.form_rate must be a probability in [0, 1], got 1.5`,                                             // validation
		`18:27: unknown channel "onlin"`,                                                                                      // validation
		`18:80: behaviours.post.eligible: unknown name "good": did you mean the string "good" (a tier)? write tier == "good"`, // expression
		`23:35: scoring.rules.fine.when: unknown name "scroe" (did you mean "score"?)`,                                        // expression
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("diagnostics differ (-want +got):\n%s", diff)
	}
	// A mistaken --set is one more problem, not a stop.
	_, err = loadFile(t, path, []string{"scoring.rules.fin.amount=-2"})
	es, _ = err.(Errors)
	if len(es) != len(want)+1 || es[0].Msg != `--set scoring.rules.fin.amount: no item "fin" in the list (did you mean "fine"?)` {
		t.Errorf("with a bad --set: %v", err)
	}
}

// TestWarnings: each file of testdata/warn sets traps the loader accepts;
// the table lists, by hand, where each warning must be and words it must
// say. A file's warnings are exactly these.
func TestWarnings(t *testing.T) {
	type w struct{ at, says string }
	cases := map[string][]w{
		"initial_not_covered": {{"13:5", "no entry matches 1 of the 3 region/group pairs (group b in region north): their agents start at score 0 (outside scoring.range [300, 900]"}},
		"sanction_no_effect": {
			{"15:5", "sanction shame has no effect: it blocks no behaviour"},
			{"16:5", "sanction offline has no effect: its deny_account blocks the behaviours whose context is online, and there are none"},
			// listed is read by fined's condition: not a warning
		},
		"never_true": {
			{"10:77", "behaviours.buy.eligible can never be true"},
			{"15:38", "scoring.rules.reward.when can never be true"},
			{"16:35", "scoring.rules.fine.when can never be true"},
			{"17:41", "rule nothing: amount is 0 and it sets no flags"},
			{"22:24", "sanctions.ban.when can never be true"},
			// fine_ok (score >= 95 || false) can be true
		},
		"tier_unreachable": {
			{"13:12", "tier elite can never be reached: it takes scores of at least 150, outside scoring.range [0, 100]"},
			{"13:60", "tier fair can never be reached: tiers.caps keep every group"},
			{"13:83", "tier bad can never be reached: tiers.caps keep every group"},
			{"13:104", "tier lost can never be reached: it takes scores below 0"},
		},
		"ties": {
			{"6:28", "relationships.form_rate has no effect: single agents propose to an acquaintance, and there are none"},
			{"6:47", "relationships.selectivity has no effect: it acts on proposals after day 0, and none form, as with network.model none"},
			{"10:81", "behaviour buy: chill.peers has no effect: there are no acquaintances"},
			{"15:27", "rule wedding never fires: no partnership forms after day 0"},
			{"16:7", "rule couple_tax is an event rule that reads partner.*"},
			// couple_ok asks has_partner
		},
		"phase_and_channel": {
			{"16:24", "rule fine: behaviour jaywalk is never detected"},
			{"24:26", "phase rollout starts on day 60, but the run has 60 days"},
		},
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "warn", "*.yaml"))
	if len(files) != len(cases) {
		t.Errorf("%d files in testdata/warn, %d in the table", len(files), len(cases))
	}
	for name, want := range cases {
		t.Run(name, func(t *testing.T) {
			sc, err := loadFile(t, filepath.Join("testdata", "warn", name+".yaml"), nil)
			if err != nil {
				t.Fatal(err)
			}
			ws := sc.Warnings()
			if len(ws) != len(want) {
				t.Errorf("%d warnings, want %d:\n%v", len(ws), len(want), ws)
			}
			for k := range min(len(ws), len(want)) {
				at := fmt.Sprintf("%d:%d", ws[k].Line, ws[k].Col)
				if at != want[k].at || !strings.Contains(ws[k].Msg, want[k].says) {
					t.Errorf("warning %d: got %s: %s\nwant %s: ...%s...", k, at, ws[k].Msg, want[k].at, want[k].says)
				}
				if !strings.Contains(ws[k].Msg, ";") {
					t.Errorf("warning %q says no fix", ws[k].Msg)
				}
			}
			strict := sc.Strict()
			es, ok := strict.(Errors)
			if !ok || len(es) != len(ws) || !strings.HasPrefix(es[0].Msg, "warning (an error with --strict): ") {
				t.Errorf("Strict() = %v", strict)
			}
			var b strings.Builder
			if err := sc.WriteWarnings(&b, true); b.Len() != 0 || fmt.Sprint(err) != fmt.Sprint(strict) {
				t.Errorf("WriteWarnings(strict) printed %q and returned %v", b.String(), err)
			}
			if err := sc.WriteWarnings(&b, false); err != nil || strings.Count(b.String(), "\n") != len(ws) ||
				!strings.HasPrefix(b.String(), fmt.Sprintf("%s:%d:%d: warning: %s", ws[0].File, ws[0].Line, ws[0].Col, ws[0].Msg)) {
				t.Errorf("WriteWarnings = %v:\n%s", err, b.String())
			}
		})
	}
}

// TestBuiltinsHaveNoWarnings: the built-in scenarios set none of the
// traps (so `run --strict` runs them).
func TestBuiltinsHaveNoWarnings(t *testing.T) {
	for _, name := range specBuiltins {
		sc, err := Resolve(name, nil)
		if err != nil {
			t.Fatal(err)
		}
		if ws := sc.Warnings(); len(ws) > 0 {
			t.Errorf("%s: %v", name, ws)
		}
		if sc.Strict() != nil {
			t.Errorf("%s: Strict() is not nil", name)
		}
	}
}

// TestHints: an unquoted category name says to quote it, with the
// rewritten expression; an unquoted ?: choice says to quote the
// expression.
func TestHints(t *testing.T) {
	head := `name: h
population:
  regions:
    - {name: north-east, share: 1, groups: {han: 0.5, low-caste: 0.5}}
surveillance:
  channels: [{name: payments, detect: 1}]
behaviours:
  - {name: buy, channel: payments, context: commerce, rate: 0.1}
scoring:
  range: [0, 100]
  initial: [{score: 50}]
  rules:
    - {name: tag, every: 1, amount: 0, set_flags: [watched]}
tiers:
  levels: [{name: good, min: 50}, {name: restricted}]
sanctions:
  - {name: ban, when: tier == "restricted", context: commerce, blocks: [buy]}
  - name: probe
    context: commerce
    blocks: [buy]
`
	cases := []struct{ when, want string }{
		{`when: tier == restricted`, `21:19: sanctions.probe.when: unknown name "restricted": did you mean the string "restricted" (a tier)? write tier == "restricted"`},
		{`when: group != low-caste`, `21:20: sanctions.probe.when: unknown name "low": did you mean the string "low-caste" (a group)? write group != "low-caste"`},
		{`when: "region == north-east && tier == 'good'"`, `21:22: sanctions.probe.when: unknown name "north": did you mean the string 'north-east' (a region)? write region == 'north-east' && tier == 'good'`},
		{`when: ban && score < 10`, `21:11: sanctions.probe.when: unknown name "ban": did you mean the sanction? write sanctions.ban`},
		{`when: watched`, `21:11: sanctions.probe.when: unknown name "watched": did you mean the flag? write flags.watched`},
		{`when: tier == restrictd`, `21:19: sanctions.probe.when: unknown name "restrictd": did you mean the string "restricted" (a tier)? write tier == "restricted"`},
		{`when: scroe < 10`, `21:11: sanctions.probe.when: unknown name "scroe" (did you mean "score"?)`},
		{`when: score < 10 ? true : false`, `21:11: syntax error: mapping value is not allowed in this context; an expression with a ?: choice must be quoted, as YAML reads its ": " as a key: write when: "score < 10 ? true : false"`},
		{`when: tier == "good" ? true : false`, `21:11: syntax error: mapping value is not allowed in this context; an expression with a ?: choice must be quoted, as YAML reads its ": " as a key: write when: 'tier == "good" ? true : false'`},
	}
	for _, c := range cases {
		src := head + "    " + c.when + "\n"
		_, err := Load("h.yaml", []byte(src), nil)
		es, ok := err.(Errors)
		if !ok || len(es) != 1 {
			t.Errorf("%s: got %v, want one diagnostic", c.when, err)
			continue
		}
		if got := strings.TrimPrefix(es[0].String(), "h.yaml:"); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.when, got, c.want)
		}
	}
}

// ValidateFiles says ok for each good file, prints warnings, and returns
// the diagnostics of every bad file together.
func TestValidateFiles(t *testing.T) {
	warn := filepath.Join("testdata", "warn", "initial_not_covered.yaml")
	bad, _ := filepath.Glob(filepath.Join("testdata", "bad", "*.yaml"))
	if len(bad) < 2 {
		t.Fatal("no bad fixtures")
	}
	var out, errs strings.Builder
	err := ValidateFiles(&out, &errs, []string{"benchmark", bad[0], warn, bad[1]}, nil, false)
	var es Errors
	if !errors.As(err, &es) {
		t.Fatalf("got %v, want Errors", err)
	}
	files := map[string]bool{}
	for _, e := range es {
		files[e.File] = true
	}
	if len(files) != 2 || !files[bad[0]] || !files[bad[1]] {
		t.Errorf("the diagnostics name %v, want both bad files", files)
	}
	if out.String() != "benchmark: ok\n"+warn+": ok\n" || !strings.Contains(errs.String(), warn+":13:5: warning: ") {
		t.Errorf("stdout %q, stderr %q", out.String(), errs.String())
	}

	out.Reset()
	errs.Reset()
	err = ValidateFiles(&out, &errs, []string{"benchmark", "no-such-builtin", warn}, nil, true)
	var nf *NotFoundError
	if !errors.As(err, &es) || len(es) != 1 || !strings.HasPrefix(es[0].Msg, "warning (an error with --strict): ") || errors.As(err, &nf) {
		t.Errorf("strict: got %v, want the warning as the one error", err)
	}
	if out.String() != "benchmark: ok\n" || !strings.Contains(errs.String(), `scenario "no-such-builtin"`) {
		t.Errorf("strict: stdout %q, stderr %q", out.String(), errs.String())
	}
	out.Reset()
	if err := ValidateFiles(&out, &errs, []string{"no-such-builtin", "benchmark"}, nil, false); !errors.As(err, &nf) || out.String() != "benchmark: ok\n" {
		t.Errorf("an unknown name: %v, stdout %q", err, out.String())
	}
}

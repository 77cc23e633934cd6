package scenario

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"

	"github.com/nosedive-lab/nosedive/internal/rule"
)

// Warnings are the traps a valid scenario sets: settings the loader
// accepts that almost certainly do not do what their author meant (agents
// left at score 0, a sanction with no effect, a condition that can never
// hold, a tier nobody can reach, a phase that starts after the run ends,
// a rule on a behaviour no channel can detect, partnership and
// acquaintance settings that cannot act). Each is positioned and
// says how to fix it. `nosedive validate` and `nosedive run` print them;
// with --strict they are errors. The built-in scenarios have none.
func (s *Scenario) Warnings() Errors { return s.warnings }

// Strict returns the scenario's warnings as errors (exit code 2), each
// marked as a warning made an error by --strict, or nil when there are
// none.
func (s *Scenario) Strict() error {
	if len(s.warnings) == 0 {
		return nil
	}
	out := make(Errors, len(s.warnings))
	for i, w := range s.warnings {
		w.Msg = "warning (an error with --strict): " + w.Msg
		out[i] = w
	}
	return out
}

// WriteWarnings prints the scenario's warnings to w, one per line as
// FILE:LINE:COL: warning: MESSAGE, or, with strict, prints nothing and
// returns them as Strict does.
func (s *Scenario) WriteWarnings(w io.Writer, strict bool) error {
	if strict {
		return s.Strict()
	}
	for _, d := range s.warnings {
		d.Msg = "warning: " + d.Msg
		if _, err := fmt.Fprintln(w, d); err != nil {
			return err
		}
	}
	return nil
}

// warnings finds the traps of a scenario that passed validation.
func warnings(s *Scenario) Errors {
	d := newDiags(s.File, s.Source, nil)
	w := warner{s: s, d: d, prog: s.compile(newDiags(s.File, s.Source, nil))}
	w.initial()
	w.sanctions()
	w.conditions()
	w.tiers()
	w.phases()
	w.undetected()
	w.ties()
	if es, ok := d.err().(Errors); ok {
		return es
	}
	return nil
}

type warner struct {
	s    *Scenario
	d    *diags
	prog *Program
}

// at returns where the key path was given, or fallback.
func (w *warner) at(fallback Pos, format string, args ...any) Pos {
	if p, ok := w.s.pos[fmt.Sprintf(format, args...)]; ok {
		return p
	}
	return fallback
}

// cells lists the (region, group) pairs that have people: a group with a
// positive share in a region.
func (w *warner) cells() [][2]string {
	var out [][2]string
	for _, r := range w.s.Population.Regions {
		if r.Share <= 0 {
			continue
		}
		for _, g := range r.Groups {
			if g.Value > 0 {
				out = append(out, [2]string{r.Name, g.Name})
			}
		}
	}
	return out
}

// initial warns when some agents match no starting score: the engine
// starts them at 0.
func (w *warner) initial() {
	sc := w.s.Scoring
	cells := w.cells()
	var missed [][2]string
	for _, c := range cells {
		covered := false
		for _, b := range sc.Initial {
			if (b.Region == "" || b.Region == c[0]) && (b.Group == "" || b.Group == c[1]) {
				covered = true
				break
			}
		}
		if !covered {
			missed = append(missed, c)
		}
	}
	if len(missed) == 0 {
		return
	}
	var eg []string
	for _, c := range missed[:min(len(missed), 3)] {
		eg = append(eg, "group "+c[1]+" in region "+c[0])
	}
	more := ""
	if len(missed) > 3 {
		more = ", ..."
	}
	below := ""
	if len(sc.Range) == 2 && (sc.Range[0] > 0 || sc.Range[1] < 0) {
		below = fmt.Sprintf(" (outside scoring.range [%g, %g] until the first day's clamp)", sc.Range[0], sc.Range[1])
	}
	p := w.at(sc.Pos, "scoring.initial")
	w.d.add(p, "scoring.initial: no entry matches %d of the %d region/group pairs (%s%s): their agents start at score 0%s; add a catch-all entry without region and group last, e.g. {score: %g}",
		len(missed), len(cells), strings.Join(eg, ", "), more, below, sc.Initial[len(sc.Initial)-1].Score)
}

// reads reports whether some expression of the scenario names sanction x
// (sanctions.x).
func (w *warner) reads(x string) bool {
	re := regexp.MustCompile(`\bsanctions\s*\.\s*` + regexp.QuoteMeta(x) + `\b`)
	found := false
	w.s.exprs(func(e Expr, _ string) {
		found = found || re.MatchString(e.Src)
	})
	return found
}

// exprs calls f with every expression of the scenario and its path.
func (s *Scenario) exprs(f func(e Expr, what string)) {
	for _, b := range s.Behaviours {
		f(b.Rate, "behaviours."+b.Name+".rate")
		f(b.Eligible, "behaviours."+b.Name+".eligible")
	}
	f(s.Chilling.Visible, "chilling.visible")
	for _, r := range s.Scoring.Rules {
		f(r.When, "scoring.rules."+r.Name+".when")
		f(r.Amount, "scoring.rules."+r.Name+".amount")
	}
	for _, x := range s.Sanctions {
		f(x.When, "sanctions."+x.Name+".when")
	}
}

// sanctions warns about a sanction that changes nothing: it blocks no
// behaviour, denies no account that matters, keeps no child out of
// school, detains no one, has no severity for the audits to weigh, no
// expression reads it and it does not feed the default chilling signal.
func (w *warner) sanctions() {
	online := false
	peers := false
	for _, b := range w.s.Behaviours {
		online = online || b.Context == "online"
		peers = peers || b.Chill.Peers > 0
	}
	for _, x := range w.s.Sanctions {
		// A severity stands for a consequence outside the simulation
		// (higher interest): the audits weigh it.
		if len(x.Blocks) > 0 || x.DenyAccount && online || x.School || x.Detain != nil || x.Severity > 0 {
			continue
		}
		if w.reads(x.Name) || !w.s.Chilling.Visible.IsSet() && peers {
			continue
		}
		why := "it blocks no behaviour"
		if x.DenyAccount {
			why = "its deny_account blocks the behaviours whose context is online, and there are none"
		}
		w.d.add(x.Pos, "sanction %s has no effect: %s, it keeps no child out of school, detains no one, has severity 0 (so the audits ignore it too) and no expression reads sanctions.%s; give it blocks: [BEHAVIOUR], deny_account (with an online behaviour), school (with target: children) or detain, or a severity if it stands for a consequence outside the simulation, or remove it",
			x.Name, why, x.Name)
	}
}

// conditions warns about a rule, sanction or eligibility whose condition
// can never hold, and a rule that can never change anything.
func (w *warner) conditions() {
	sc := w.s.Scoring
	if len(sc.Range) != 2 {
		return
	}
	b := rule.Bounds{ScoreMin: sc.Range[0], ScoreMax: sc.Range[1], LastDay: float64(w.s.Run.Days - 1)}
	never := func(e Expr, what, fix string) {
		if e.IsSet() && e.Set == "" && rule.NeverTrue(e.Src, b) {
			w.d.add(locate(w.d, e, 0), "%s can never be true (scores stay in scoring.range [%g, %g], days run from 0 to %d): %s",
				what, sc.Range[0], sc.Range[1], w.s.Run.Days-1, fix)
		}
	}
	for k, r := range sc.Rules {
		never(r.When, "scoring.rules."+r.Name+".when", "the rule never fires; check the comparison's direction and the numbers against the range")
		if a := w.prog.RuleAmount[k]; r.Amount.IsSet() && a.Const && a.Value == 0 && len(r.SetFlags) == 0 {
			w.d.add(w.at(r.Pos, "scoring.rules[%d].amount", k), "rule %s: amount is 0 and it sets no flags, so it changes nothing; give it a non-zero amount or set_flags", r.Name)
		}
	}
	for _, x := range w.s.Sanctions {
		never(x.When, "sanctions."+x.Name+".when", "the sanction never applies; check the comparison's direction and the numbers against the range")
	}
	for _, bh := range w.s.Behaviours {
		never(bh.Eligible, "behaviours."+bh.Name+".eligible", "nobody can ever do it; check the condition")
	}
}

// tiers warns about a tier no agent can ever be in: its band lies outside
// scoring.range, or the caps keep every group out of it.
func (w *warner) tiers() {
	t, sc := w.s.Tiers, w.s.Scoring
	if len(sc.Range) != 2 || len(t.Levels) == 0 {
		return
	}
	lo, hi := sc.Range[0], sc.Range[1]
	n := len(t.Levels)
	// Tier k takes scores in [min_k, min_{k-1}): reachable by some score
	// of the range when the band meets [lo, hi].
	inRange := make([]bool, n)
	for k, l := range t.Levels {
		above := k == 0 || *t.Levels[k-1].Min > lo // the band's top is above lo
		below := l.Min == nil || *l.Min <= hi
		inRange[k] = above && below
	}
	// The tiers in range are a run first..last; the caps hold a cell's
	// tier within [best, worst], so the cell reaches the run clamped to
	// those. A tier in range is kept out when no cell reaches it. (The
	// work is cells x caps, as the engine's own table of caps; the levels
	// cover every score, so some tier is in range.)
	first, last := slices.Index(inRange, true), n-1
	for !inRange[last] {
		last--
	}
	idx := map[string]int{}
	for k, l := range t.Levels {
		idx[l.Name] = k
	}
	marks := make([]int, n+1) // +1 where a cell's run starts, -1 past its end
	for _, c := range w.cells() {
		best, worst := 0, n-1
		for _, cp := range t.Caps {
			if (cp.Region == "" || cp.Region == c[0]) && (cp.Group == "" || cp.Group == c[1]) {
				if k, ok := idx[cp.Best]; ok {
					best = max(best, k)
				}
				if k, ok := idx[cp.Worst]; ok {
					worst = min(worst, k)
				}
			}
		}
		marks[min(max(first, best), worst)]++
		marks[min(max(last, best), worst)+1]--
	}
	capsKeepOut := make([]bool, n)
	run := 0
	for k := range n {
		run += marks[k]
		capsKeepOut[k] = inRange[k] && run == 0
	}
	for k, l := range t.Levels {
		switch {
		case !inRange[k]:
			var band string
			switch {
			case l.Min == nil:
				band = fmt.Sprintf("scores below %g", *t.Levels[k-1].Min)
			case k == 0:
				band = fmt.Sprintf("scores of at least %g", *l.Min)
			default:
				band = fmt.Sprintf("scores from %g to below %g", *l.Min, *t.Levels[k-1].Min)
			}
			w.d.add(l.Pos, "tier %s can never be reached: it takes %s, outside scoring.range [%g, %g]; move its min (or the levels around it) into the range, widen the range, or remove the tier",
				l.Name, band, lo, hi)
		case capsKeepOut[k]:
			w.d.add(l.Pos, "tier %s can never be reached: tiers.caps keep every group of every region out of it; lift a cap or remove the tier", l.Name)
		}
	}
}

// phases warns about a phase that starts after the run's last day.
func (w *warner) phases() {
	for k, p := range w.s.Phases {
		if p.Day >= w.s.Run.Days {
			w.d.add(w.at(p.Pos, "phases[%d].day", k), "phase %s starts on day %d, but the run has %d days (run.days), so it never starts; move it earlier or lengthen run.days (or pass --days)",
				p.Name, p.Day, w.s.Run.Days)
		}
	}
}

// undetected warns about event rules on a behaviour its channel can never
// detect: the rule never fires.
func (w *warner) undetected() {
	chans := map[string]Channel{}
	for _, c := range w.s.Surveillance.Channels {
		chans[c.Name] = c
	}
	cams := map[string]float64{}
	for _, r := range w.s.Population.Regions {
		if r.Share > 0 {
			cams[r.Name] = r.CamerasPer1000
		}
	}
	blind := map[string]bool{}
	for _, b := range w.s.Behaviours {
		c, ok := chans[b.Channel]
		if !ok {
			continue
		}
		seen := false
		for reg, cam := range cams {
			p := c.PerCamera * cam // as the engine: 1 - exp(-per_camera x cameras) > 0
			if c.Detect != nil {
				p = *c.Detect
			}
			for _, wh := range c.Where {
				if wh.Region == reg {
					p = wh.Detect
				}
			}
			seen = seen || p > 0
		}
		blind[b.Name] = !seen
	}
	for k, r := range w.s.Scoring.Rules {
		if r.On != "" && blind[r.On] {
			w.d.add(w.at(r.Pos, "scoring.rules[%d].on", k), "rule %s: behaviour %s is never detected (its channel's detection is 0 in every region), so the rule never fires; raise the channel's detect or per_camera", r.Name, r.On)
		}
	}
}

// ties warns about settings of partners and acquaintances that cannot
// act: partnerships that cannot form (no acquaintances to propose to, or
// no form_rate) yet are relied on, peer chilling without acquaintances,
// and event rules that read partner.* without asking has_partner (event
// rules, unlike periodic ones, are not skipped for the unpartnered, for
// whom partner.score reads 0).
func (w *warner) ties() {
	s := w.s
	rel := s.Relationships
	noTies := s.Network.Model == "none" || s.Network.Degree == 0
	why := ""
	switch {
	case rel.FormRate == 0:
		why = "relationships.form_rate is 0"
	case noTies:
		why = "with network.model none or degree 0 there are no acquaintances to propose to"
	}
	if rel.FormRate > 0 && noTies {
		w.d.add(w.at(rel.Pos, "relationships.form_rate"), "relationships.form_rate has no effect: single agents propose to an acquaintance, and there are none (network.model none or degree 0); give the network a degree or remove form_rate")
	}
	if rel.Selectivity > 0 && why != "" {
		w.d.add(w.at(rel.Pos, "relationships.selectivity"), "relationships.selectivity has no effect: it acts on proposals after day 0, and none form, as %s; set form_rate and a network, or remove selectivity", why)
	}
	for k, r := range s.Scoring.Rules {
		if r.On == PartneredEvent && why != "" {
			w.d.add(w.at(r.Pos, "scoring.rules[%d].on", k), "rule %s never fires: no partnership forms after day 0, as %s; set relationships.form_rate and a network", r.Name, why)
		}
		readsPartner := w.prog.RuleWhen[k].Refs.Partner || w.prog.RuleAmount[k].Refs.Partner
		if r.On != "" && r.On != PartneredEvent && readsPartner && !strings.Contains(r.When.Src, "has_partner") {
			w.d.add(r.Pos, "rule %s is an event rule that reads partner.*: unlike a periodic rule it is not skipped for agents without a partner, for whom partner.score reads 0 and partner conditions are false; add has_partner && to its when", r.Name)
		}
	}
	if noTies {
		for k, b := range s.Behaviours {
			if b.Chill.Peers > 0 {
				w.d.add(w.at(b.Pos, "behaviours[%d].chill.peers", k), "behaviour %s: chill.peers has no effect: there are no acquaintances to see sanctioned (network.model none or degree 0); give the network a degree or remove chill.peers", b.Name)
			}
		}
	}
}

// ValidateFiles loads every file (a path or a built-in name) with sets
// applied, as `nosedive validate` does: "FILE: ok" on stdout for each
// that loads, its warnings on stderr (or, strict, as errors). It returns
// every file's diagnostics together as one Errors, or, when there are
// none, the last other error (such as a *NotFoundError for a name that is
// no built-in and no file), each printed to stderr as it is met.
func ValidateFiles(stdout, stderr io.Writer, files, sets []string, strict bool) error {
	var all Errors
	var other error
	for _, f := range files {
		sc, err := Resolve(f, sets)
		if err == nil {
			err = sc.WriteWarnings(stderr, strict)
		}
		var se Errors
		switch {
		case err == nil:
			fmt.Fprintf(stdout, "%s: ok\n", f)
		case errors.As(err, &se):
			all = append(all, se...)
		default:
			fmt.Fprintln(stderr, err)
			other = err
		}
	}
	if len(all) > 0 {
		return all
	}
	return other
}

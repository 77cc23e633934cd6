package scenario

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/nosedive-lab/nosedive/internal/netgraph"
	"github.com/nosedive-lab/nosedive/internal/rule"
	"github.com/nosedive-lab/nosedive/internal/yamlfile"
	"github.com/nosedive-lab/nosedive/scenarios"
)

// builtinFS holds the built-in scenarios: scenarios/*.yaml at the
// repository root, embedded by package scenarios.
var builtinFS fs.FS = scenarios.FS

// Defaults applied when a scenario leaves run settings out.
const (
	DefaultAgents = 100_000
	DefaultDays   = 365
	DefaultSeed   = 1
	DefaultLedger = "sample:0.001"
	// MaxAgents keeps agent ids inside int32.
	MaxAgents = 2_000_000_000
	MaxDays   = 100_000
)

// BuiltinInfo is a built-in scenario's name and one-line description.
type BuiltinInfo struct {
	Name, Description string
}

// Builtins lists the embedded scenarios, sorted by name.
func Builtins() []BuiltinInfo {
	entries, _ := fs.ReadDir(builtinFS, ".")
	var out []BuiltinInfo
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".yaml")
		if !ok || e.IsDir() {
			continue // data/
		}
		src, _ := BuiltinSource(name)
		desc := ""
		var d diags
		if t := parseTree(name, src, &d); t != nil {
			if n := t.Get("description"); n != nil {
				desc = n.Value
			}
		}
		out = append(out, BuiltinInfo{Name: name, Description: desc})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// WriteBuiltins writes the list `nosedive scenarios` prints: each
// built-in's name and description, aligned in two columns.
func WriteBuiltins(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, b := range Builtins() {
		fmt.Fprintf(tw, "%s\t%s\n", b.Name, b.Description)
	}
	return tw.Flush()
}

// BuiltinSource returns the YAML text of a built-in scenario.
func BuiltinSource(name string) ([]byte, error) {
	b, err := fs.ReadFile(builtinFS, name+".yaml")
	if err != nil {
		var names []string
		for _, bi := range builtinNames() {
			names = append(names, bi)
		}
		return nil, &NotFoundError{Name: name, Hint: rule.Suggest(name, names), Known: names}
	}
	return b, nil
}

func builtinNames() []string {
	entries, _ := fs.ReadDir(builtinFS, ".")
	var out []string
	for _, e := range entries {
		if name, ok := strings.CutSuffix(e.Name(), ".yaml"); ok && !e.IsDir() {
			out = append(out, name)
		}
	}
	return out
}

// NotFoundError says a scenario name is neither built in nor a file.
type NotFoundError struct {
	Name  string
	Hint  string
	Known []string
}

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("scenario %q: not a built-in scenario nor a readable file%s; built-ins: %s",
		e.Name, e.Hint, strings.Join(e.Known, ", "))
}

// Resolve loads a built-in scenario by name, or a scenario file by path,
// applies --set overrides and validates it.
func Resolve(nameOrPath string, sets []string) (*Scenario, error) {
	return ResolveContext(context.Background(), nameOrPath, sets)
}

// ResolveContext is Resolve that stops when ctx is done, like LoadContext.
func ResolveContext(ctx context.Context, nameOrPath string, sets []string) (*Scenario, error) {
	if src, err := BuiltinSource(nameOrPath); err == nil {
		return LoadContext(ctx, nameOrPath+".yaml", src, sets)
	}
	st, err := os.Stat(nameOrPath)
	if err != nil {
		if os.IsNotExist(err) && !strings.ContainsAny(nameOrPath, "/.") {
			_, nf := BuiltinSource(nameOrPath)
			return nil, nf
		}
		return nil, Errors{{File: nameOrPath, Msg: "cannot read: " + unwrapPathErr(err)}}
	}
	if st.IsDir() {
		return nil, Errors{{File: nameOrPath, Msg: "is a directory, not a scenario file"}}
	}
	if st.Size() > MaxFileSize {
		return nil, Errors{{File: nameOrPath, Msg: fmt.Sprintf("file is %d bytes; scenario files are limited to %d", st.Size(), MaxFileSize)}}
	}
	src, err := os.ReadFile(nameOrPath)
	if err != nil {
		return nil, Errors{{File: nameOrPath, Msg: "cannot read: " + unwrapPathErr(err)}}
	}
	return LoadContext(ctx, nameOrPath, src, sets)
}

func unwrapPathErr(err error) string {
	if pe, ok := err.(*fs.PathError); ok {
		return pe.Err.Error()
	}
	return err.Error()
}

// Load decodes and validates a scenario from YAML source. All problems are
// returned together as Errors.
func Load(file string, src []byte, sets []string) (*Scenario, error) {
	return LoadContext(context.Background(), file, src, sets)
}

// LoadContext is Load that gives up when ctx is done, returning ctx's
// error (not Errors): between phases, every few thousand lines of the
// budget scan and nodes of the tree, and between expressions. Source over
// a budget of Prescan is refused before it is parsed. A UTF-8 byte order
// mark at the start is dropped.
func LoadContext(ctx context.Context, file string, src []byte, sets []string) (*Scenario, error) {
	src = yamlfile.TrimBOM(src)
	d := newDiags(file, src, ctx)
	tree := parseTree(file, src, d)
	if tree == nil {
		return nil, d.err()
	}
	// Every stage that can run on what parsed runs, so that one round of
	// validation reports everything (see stages).
	for _, s := range sets {
		applySet(tree, s, d)
	}
	sc := &Scenario{pos: map[string]Pos{}}
	decode(tree, sc, d)
	sc.File = file
	sc.Source = src
	sc.applyDefaults()
	later := newDiags(file, src, ctx)
	validate(sc, later)
	if err := stages(sc, d, later); err != nil {
		return nil, err
	}
	sc.warnings = warnings(sc)
	return sc, nil
}

// stages merges the semantic and expression diagnostics (later) into the
// tree and decoding ones (d) and returns them all. A later diagnostic is
// left out when it is about a part the decoder could not read (a value
// left at zero, a section left empty), not a second mistake: one at the
// position of an earlier diagnostic or of a mapping or list that holds the
// part that failed, and one without a position (a section the file does
// not give) when the file has earlier problems. Such checks run again once
// the part decodes.
func stages(sc *Scenario, d, later *diags) error {
	lerr := later.err()
	if lerr == nil {
		return d.err()
	}
	var ls Errors
	if !errors.As(lerr, &ls) {
		return lerr // cancelled
	}
	var early Errors
	if err := d.err(); err != nil && !errors.As(err, &early) {
		return err
	}
	failed := make(map[Pos]bool, len(early))
	for _, e := range early {
		if e.Line > 0 {
			failed[e.Pos] = true
		}
	}
	taken := maps.Clone(failed)
	if len(failed) > 0 {
		for path, p := range sc.pos {
			if !failed[p] {
				continue
			}
			for {
				i := strings.LastIndexAny(path, ".[")
				if i <= 0 {
					break
				}
				path = path[:i]
				if q, ok := sc.pos[path]; ok {
					taken[q] = true
				}
			}
		}
	}
	for _, e := range ls {
		switch {
		case e.Line > 0 && taken[e.Pos]:
		case e.Line == 0 && len(early) > 0 && !strings.HasPrefix(e.Msg, "--set "):
		default:
			d.add(e.Pos, "%s", e.Msg)
		}
	}
	return d.err()
}

// Hash is the SHA-256 of the scenario text plus the overrides, hex encoded.
func Hash(src []byte, sets []string) string {
	h := sha256.New()
	h.Write(src)
	for _, s := range sets {
		h.Write([]byte{0})
		h.Write([]byte(s))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// applyDefaults fills in what the file leaves out. A value given
// explicitly, even 0, is kept (and validated).
func (s *Scenario) applyDefaults() {
	given := func(path string) bool { _, ok := s.pos[path]; return ok }
	if !given("run.agents") {
		s.Run.Agents = DefaultAgents
	}
	if !given("run.days") {
		s.Run.Days = DefaultDays
	}
	if !given("run.seed") {
		s.Run.Seed = DefaultSeed
	}
	if !given("run.ledger") {
		s.Run.Ledger = DefaultLedger
	}
	if len(s.Population.Ages) == 0 {
		s.Population.Ages = Shares{{Name: "adult", Value: 1}}
	}
	if s.Network.Model == "" {
		s.Network.Model = "watts-strogatz"
	}
	if s.Network.Model != "none" {
		if !given("network.degree") {
			s.Network.Degree = 10
		}
		if !given("network.rewire") && s.Network.Model == "watts-strogatz" {
			s.Network.Rewire = 0.1
		}
		if !given("network.clustering") && s.Network.Model == "homophilous" {
			s.Network.Clustering = min(DefaultClustering, netgraph.MaxHomophilousClustering(s.Network.Degree, s.Network.Homophily))
		}
	}
	for i := range s.Behaviours {
		if !given(fmt.Sprintf("behaviours[%d].chill.memory", i)) {
			s.Behaviours[i].Chill.Memory = 30
		}
	}
	for i := range s.Sanctions {
		if s.Sanctions[i].Target == "" {
			s.Sanctions[i].Target = "self"
		}
	}
	for i := range s.Privileges {
		if s.Privileges[i].Target == "" {
			s.Privileges[i].Target = "self"
		}
	}
	if s.Scoring.Recovery != nil && s.Scoring.Recovery.Direction == "" {
		s.Scoring.Recovery.Direction = "up"
	}
	s.institutionDefaults()
}

// applySet applies one `--set path=value` override to the tree. Lists are
// addressed by index or by an item's name: scoring.rules.alcohol.amount.
func applySet(tree *Node, set string, d *diags) {
	eq := strings.IndexByte(set, '=')
	if eq <= 0 {
		d.add(Pos{}, "--set %q: expected key=value", set)
		return
	}
	key, value := strings.TrimSpace(set[:eq]), strings.TrimSpace(set[eq+1:])
	segs := strings.Split(key, ".")
	vd := diags{yamlfile.Diags{Ctx: d.Ctx}}
	vnode := parseTree("--set", []byte(value), &vd)
	if value == "" || vnode == nil || vnode.Kind != KindScalar {
		d.add(Pos{}, "--set %s: the value must be a single number, word or quoted string", key)
		return
	}
	vnode.Set = set
	cur := tree
	for k, seg := range segs {
		last := k == len(segs)-1
		switch cur.Kind {
		case KindMap:
			i := cur.Index(seg)
			if i < 0 {
				if last {
					vnode.Pos = Pos{}
					cur.Keys = append(cur.Keys, &Node{Kind: KindScalar, Value: seg, Set: set})
					cur.Vals = append(cur.Vals, vnode)
					return
				}
				if _, err := strconv.Atoi(segs[k+1]); err == nil {
					d.add(Pos{}, "--set %s: %s has no item %s", key, strings.Join(segs[:k+1], "."), segs[k+1])
					return
				}
				// Create intermediate mappings for settings the file leaves out.
				m := &Node{Kind: KindMap, Set: set}
				cur.Keys = append(cur.Keys, &Node{Kind: KindScalar, Value: seg, Set: set})
				cur.Vals = append(cur.Vals, m)
				cur = m
				continue
			}
			if last {
				if cur.Vals[i] != nil && (cur.Vals[i].Kind == KindMap || cur.Vals[i].Kind == KindSeq) {
					d.add(Pos{}, "--set %s: only single values can be set; %s is %s", key, seg, yamlfile.Describe(cur.Vals[i]))
					return
				}
				vnode.Pos = cur.Keys[i].Pos
				cur.Vals[i] = vnode
				return
			}
			if cur.Vals[i] == nil || cur.Vals[i].Kind == KindNull {
				cur.Vals[i] = &Node{Kind: KindMap}
			}
			cur = cur.Vals[i]
		case KindSeq:
			idx := -1
			if n, err := strconv.Atoi(seg); err == nil && n >= 0 && n < len(cur.Items) {
				idx = n
			} else {
				var names []string
				for i, it := range cur.Items {
					if nm := it.Get("name"); nm != nil {
						names = append(names, nm.Value)
						if nm.Value == seg {
							idx = i
						}
					}
				}
				if idx < 0 {
					d.add(Pos{}, "--set %s: no item %q in the list%s", key, seg, d.suggest(seg, names))
					return
				}
			}
			if last {
				if it := cur.Items[idx]; it != nil && (it.Kind == KindMap || it.Kind == KindSeq) {
					d.add(Pos{}, "--set %s: only single values can be set, not whole list items", key)
					return
				}
				vnode.Pos = cur.Items[idx].Pos
				cur.Items[idx] = vnode
				return
			}
			cur = cur.Items[idx]
		default:
			d.add(Pos{}, "--set %s: %s is a single value, it has no field %q", key, strings.Join(segs[:k], "."), seg)
			return
		}
	}
}

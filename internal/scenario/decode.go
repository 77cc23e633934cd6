package scenario

import (
	"math"
	"reflect"
	"strings"

	"github.com/nosedive-lab/nosedive/internal/yamlfile"
)

// decode fills sc from the tree with internal/yamlfile's strict decoder;
// expressions and shares mappings, the scenario's own value types, have
// hooks. Where each key path was given goes to sc.pos.
func decode(tree *Node, sc *Scenario, d *diags) {
	dc := &yamlfile.Decoder{
		Diags: &d.Diags,
		Root:  "scenario",
		Pos:   sc.pos,
		Hooks: map[reflect.Type]yamlfile.Hook{
			reflect.TypeOf(Expr{}):         decodeExpr,
			reflect.TypeOf(Shares{}):       decodeShares,
			reflect.TypeOf(TableColumns{}): decodeColumns,
		},
	}
	dc.Decode(tree, sc)
}

func decodeExpr(dc *yamlfile.Decoder, n *Node, v reflect.Value, path string) {
	if n.Kind == KindNull {
		return
	}
	if _, ok := dc.Scalar(n, path, "a number or an expression"); !ok {
		return
	}
	if n.Type == TypeBool || n.Type == TypeInt || n.Type == TypeFloat {
		if n.Type != TypeBool {
			if f, err := yamlfile.ParseFloat(n.Value); err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
				dc.Diags.Add(n.Pos, "%s: must be a finite number, got %s", path, n.Value)
				return
			}
		}
	}
	if strings.TrimSpace(n.Value) == "" {
		dc.Diags.Add(n.Pos, "%s: empty expression", path)
		return
	}
	v.Set(reflect.ValueOf(Expr{Src: n.Value, Pos: n.Pos, Quoted: n.Quoted, Block: n.Block, Set: n.Set}))
}

func decodeShares(dc *yamlfile.Decoder, n *Node, v reflect.Value, path string) {
	if n.Kind == KindNull {
		return
	}
	if n.Kind != KindMap {
		dc.Diags.Add(n.Pos, "%s: expected a mapping of names to shares, got %s", path, yamlfile.Describe(n))
		return
	}
	out := make(Shares, 0, len(n.Keys))
	for i, k := range n.Keys {
		f, ok := dc.Number(n.Vals[i], path+"."+k.Value)
		if !ok {
			continue
		}
		out = append(out, Share{Name: k.Value, Value: f, Pos: k.Pos})
	}
	v.Set(reflect.ValueOf(out))
}

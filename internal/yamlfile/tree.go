package yamlfile

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// Kind is the shape of a YAML node in the positioned tree.
type Kind uint8

const (
	KindNull Kind = iota
	KindScalar
	KindMap
	KindSeq
)

// ScalarType says how YAML typed a scalar.
type ScalarType uint8

const (
	TypeString ScalarType = iota
	TypeInt
	TypeFloat
	TypeBool
)

// Node is a YAML node reduced to what the decoder needs: shape, position and
// text. Aliases are expanded and merge keys applied, so the decoder never sees
// YAML's graph features. A struct field of type *Node receives the node
// itself, for values whose shape the caller checks (see Decoder).
type Node struct {
	Kind   Kind
	Pos    Pos
	Type   ScalarType // for scalars
	Quoted bool       // a quoted or block string scalar
	Value  string     // scalar text
	Keys   []*Node    // map keys (scalars), parallel to Vals
	Vals   []*Node
	Items  []*Node // sequence items
	Block  bool    // a | or > block scalar
	Set    string  // the override (--set path=value) that created this node, if one did
}

// Get returns the value for key in a map node, or nil.
func (n *Node) Get(key string) *Node {
	if n == nil || n.Kind != KindMap {
		return nil
	}
	for i, k := range n.Keys {
		if k.Value == key {
			return n.Vals[i]
		}
	}
	return nil
}

// Parse parses d.Src, a file of format f, into a positioned tree, or
// returns nil having added why to d: a budget exceeded (Prescan), a
// syntax error (goccy's parser reports the first duplicate key as one),
// an empty file, more than one document, or a YAML feature the format
// refuses, each as one positioned diagnostic. Only a cancelled d.Ctx
// makes it return nil without a diagnostic (d.Err then says so).
func Parse(f Format, d *Diags) *Node {
	src := d.Src
	if len(src) > f.MaxSize {
		d.Add(Pos{}, "%s", f.tooLarge(len(src)))
		return nil
	}
	if len(bytes.TrimSpace(src)) == 0 {
		d.Add(Pos{1, 1}, "empty %s file", f.Name)
		return nil
	}
	if bytes.IndexByte(src, 0) >= 0 {
		d.Add(Pos{1, 1}, "not a text file (contains NUL bytes)")
		return nil
	}
	// The budgets are checked before the parser runs: it builds the
	// whole tree first, at a cost some shapes make far above their size.
	if err := Prescan(d.Context(), f, d.File, src); err != nil {
		var es Errors
		if errors.As(err, &es) {
			for _, e := range es {
				d.Add(e.Pos, "%s", e.Msg)
			}
		} else {
			d.Done() // the context's error, which Err returns
		}
		return nil
	}
	file, err := parser.ParseBytes(src, 0)
	if err != nil {
		var ye yaml.Error
		if errors.As(err, &ye) && ye.GetToken() != nil && ye.GetToken().Position != nil {
			p := ye.GetToken().Position
			d.Add(Pos{p.Line, p.Column}, "syntax error: %s", ye.GetMessage())
		} else {
			d.Add(Pos{1, 1}, "syntax error: %v", err)
		}
		return nil
	}
	if len(file.Docs) == 0 || file.Docs[0].Body == nil {
		d.Add(Pos{1, 1}, "empty %s file", f.Name)
		return nil
	}
	if len(file.Docs) > 1 {
		p := tokPos(file.Docs[1].Body)
		d.Add(p, "a %s file holds one YAML document; found %d", f.Name, len(file.Docs))
		return nil
	}
	c := &converter{d: d, f: f, anchors: map[string]ast.Node{}}
	n := c.conv(file.Docs[0].Body, 0)
	if c.failed {
		return nil
	}
	return n
}

type converter struct {
	d       *Diags
	f       Format
	anchors map[string]ast.Node
	count   int
	failed  bool
}

func tokPos(n ast.Node) Pos {
	if n == nil {
		return Pos{}
	}
	t := n.GetToken()
	if t == nil || t.Position == nil {
		return Pos{}
	}
	return Pos{t.Position.Line, t.Position.Column}
}

func (c *converter) fail(p Pos, format string, args ...any) *Node {
	if !c.failed {
		c.d.Add(p, format, args...)
	}
	c.failed = true
	return nil
}

func (c *converter) conv(n ast.Node, depth int) *Node {
	if c.failed {
		return nil
	}
	c.count++
	if c.count > MaxNodes {
		return c.fail(tokPos(n), "more than %d YAML nodes after expanding aliases (the loader's node budget)", MaxNodes)
	}
	if depth > MaxDepth {
		return c.fail(tokPos(n), "nesting deeper than %d levels (the loader's depth budget)", MaxDepth)
	}
	if c.count%4096 == 0 && c.d.Done() {
		c.failed = true
		return nil
	}
	p := tokPos(n)
	if c.f.Plain {
		switch n.(type) {
		case *ast.TagNode, *ast.AnchorNode, *ast.AliasNode:
			return c.fail(p, "YAML tags, anchors and aliases are not supported in %s files", c.f.Name)
		}
	}
	switch v := n.(type) {
	case nil:
		return &Node{Kind: KindNull}
	case *ast.NullNode:
		return &Node{Kind: KindNull, Pos: p}
	case *ast.StringNode:
		quoted := v.Token != nil && (v.Token.Type == token.DoubleQuoteType || v.Token.Type == token.SingleQuoteType)
		return &Node{Kind: KindScalar, Pos: p, Type: TypeString, Value: v.Value, Quoted: quoted}
	case *ast.LiteralNode:
		val := ""
		if v.Value != nil {
			val = v.Value.Value
		}
		// A block scalar's text starts on the next line.
		if v.Value != nil {
			p = tokPos(v.Value)
		}
		return &Node{Kind: KindScalar, Pos: p, Type: TypeString, Value: val, Quoted: true, Block: true}
	case *ast.IntegerNode:
		return &Node{Kind: KindScalar, Pos: p, Type: TypeInt, Value: v.Token.Value}
	case *ast.FloatNode:
		return &Node{Kind: KindScalar, Pos: p, Type: TypeFloat, Value: v.Token.Value}
	case *ast.InfinityNode:
		return &Node{Kind: KindScalar, Pos: p, Type: TypeFloat, Value: v.Token.Value}
	case *ast.NanNode:
		return &Node{Kind: KindScalar, Pos: p, Type: TypeFloat, Value: v.Token.Value}
	case *ast.BoolNode:
		return &Node{Kind: KindScalar, Pos: p, Type: TypeBool, Value: fmt.Sprint(v.Value)}
	case *ast.TagNode:
		tag := ""
		if v.Start != nil {
			tag = v.Start.Value
		}
		switch tag {
		case "!!str", "!!int", "!!float", "!!bool", "!!null", "!!map", "!!seq":
			return c.conv(v.Value, depth+1)
		}
		return c.fail(p, "YAML tag %s is not supported; an expression starting with ! must be quoted, e.g. '%s'", tag, tag)
	case *ast.AnchorNode:
		name := ""
		if v.Name != nil {
			name = v.Name.GetToken().Value
		}
		c.anchors[name] = v.Value
		return c.conv(v.Value, depth+1)
	case *ast.AliasNode:
		name := ""
		if v.Value != nil {
			name = v.Value.GetToken().Value
		}
		target, ok := c.anchors[name]
		if !ok {
			return c.fail(p, "unknown alias *%s", name)
		}
		out := c.conv(target, depth+1)
		if out != nil {
			out = relocate(out, p)
		}
		return out
	case *ast.MappingNode:
		// A block mapping is positioned at its first key, not its colon.
		if len(v.Values) > 0 && !v.IsFlowStyle {
			p = tokPos(v.Values[0].Key)
		}
		m := &Node{Kind: KindMap, Pos: p}
		keys := mapKeys{at: map[string]int{}, merged: map[string]bool{}}
		for _, mv := range v.Values {
			c.addPair(m, mv, depth, &keys)
		}
		return m
	case *ast.MappingValueNode:
		m := &Node{Kind: KindMap, Pos: tokPos(v.Key)}
		c.addPair(m, v, depth, &mapKeys{at: map[string]int{}, merged: map[string]bool{}})
		return m
	case *ast.SequenceNode:
		s := &Node{Kind: KindSeq, Pos: p}
		for _, it := range v.Values {
			s.Items = append(s.Items, c.conv(it, depth+1))
		}
		if len(v.Values) > 0 {
			s.Pos = tokPos(v.Values[0])
			s.Pos.Col = p.Col
			s.Pos.Line = p.Line
		}
		return s
	default:
		return c.fail(p, "unsupported YAML construct %s", n.Type())
	}
}

// relocate gives an expanded alias the position of its use, so that errors in
// aliased content point at the line that pulled it in.
func relocate(n *Node, p Pos) *Node {
	cp := *n
	cp.Pos = p
	return &cp
}

// mapKeys indexes the keys of the mapping being built, so that checking
// for duplicates costs the same for the thousandth key as for the first.
type mapKeys struct {
	at     map[string]int  // key -> index in the mapping
	merged map[string]bool // keys that came from a merge key <<
}

func (c *converter) addPair(m *Node, mv *ast.MappingValueNode, depth int, keys *mapKeys) {
	if _, ok := mv.Key.(*ast.MergeKeyNode); ok {
		src := c.conv(mv.Value, depth+1)
		if src == nil {
			return
		}
		var srcs []*Node
		switch src.Kind {
		case KindMap:
			srcs = []*Node{src}
		case KindSeq:
			srcs = src.Items
		default:
			c.fail(tokPos(mv.Value), "merge key << needs a mapping or a list of mappings")
			return
		}
		for _, s := range srcs {
			if s == nil || s.Kind != KindMap {
				c.fail(tokPos(mv.Value), "merge key << needs a mapping or a list of mappings")
				return
			}
			for i, k := range s.Keys {
				if _, ok := keys.at[k.Value]; !ok {
					keys.at[k.Value] = len(m.Keys)
					m.Keys = append(m.Keys, k)
					m.Vals = append(m.Vals, s.Vals[i])
					keys.merged[k.Value] = true
				}
			}
		}
		return
	}
	k := c.conv(mv.Key, depth+1)
	if k == nil {
		return
	}
	if k.Kind != KindScalar {
		c.fail(k.Pos, "mapping keys must be plain names")
		return
	}
	v := c.conv(mv.Value, depth+1)
	if i, ok := keys.at[k.Value]; ok {
		// Explicit keys override merged ones; a real duplicate is an error.
		if keys.merged[k.Value] {
			delete(keys.merged, k.Value)
			m.Keys[i], m.Vals[i] = k, v
			return
		}
		c.d.Add(k.Pos, "duplicate key %q (first at line %d)", k.Value, m.Keys[i].Pos.Line)
		return
	}
	if v != nil && v.Kind == KindNull && v.Pos.Line == 0 {
		v.Pos = k.Pos
	}
	keys.at[k.Value] = len(m.Keys)
	m.Keys = append(m.Keys, k)
	m.Vals = append(m.Vals, v)
}

// Index returns the index of key in a map node's Keys, or -1.
func (m *Node) Index(key string) int {
	if m == nil || m.Kind != KindMap {
		return -1
	}
	for i, k := range m.Keys {
		if k.Value == key {
			return i
		}
	}
	return -1
}

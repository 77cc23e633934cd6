package scenario

import (
	"math"
	"reflect"
	"strconv"
	"strings"
)

var (
	posType    = reflect.TypeOf(Pos{})
	exprType   = reflect.TypeOf(Expr{})
	sharesType = reflect.TypeOf(Shares{})
)

// decoder fills Go values from the positioned tree, strictly: unknown keys,
// wrong shapes and wrong scalar types are diagnostics, and decoding goes on
// so that every problem is reported at once.
type decoder struct {
	d *diags
	// pos records where each decoded path (e.g. "behaviours[2].rate") was
	// given; presence in it also tells a value set to zero from an absent one.
	pos map[string]Pos
}

func (dc *decoder) decode(n *Node, v reflect.Value, path string) {
	if n == nil {
		return
	}
	if path != "" && dc.pos != nil {
		dc.pos[path] = n.Pos
	}
	t := v.Type()
	switch {
	case t == exprType:
		dc.decodeExpr(n, v, path)
		return
	case t == sharesType:
		dc.decodeShares(n, v, path)
		return
	case t == tableColumnsType:
		dc.decodeColumns(n, v, path)
		return
	}
	switch t.Kind() {
	case reflect.Pointer:
		if n.Kind == KindNull {
			return
		}
		nv := reflect.New(t.Elem())
		dc.decode(n, nv.Elem(), path)
		v.Set(nv)
	case reflect.Struct:
		dc.decodeStruct(n, v, path)
	case reflect.Slice:
		if n.Kind == KindNull {
			return
		}
		if n.Kind != KindSeq {
			dc.d.add(n.Pos, "%s: expected a list, got %s", path, describe(n))
			return
		}
		s := reflect.MakeSlice(t, len(n.Items), len(n.Items))
		for i, it := range n.Items {
			dc.decode(it, s.Index(i), path+"["+strconv.Itoa(i)+"]")
		}
		v.Set(s)
	case reflect.String:
		if s, ok := dc.scalar(n, path, "a string"); ok {
			v.SetString(s.Value)
		}
	case reflect.Bool:
		s, ok := dc.scalar(n, path, "true or false")
		if !ok {
			return
		}
		if s.Type != TypeBool {
			dc.d.add(n.Pos, "%s: expected true or false, got %s", path, describe(n))
			return
		}
		v.SetBool(s.Value == "true")
	case reflect.Float64:
		if f, ok := dc.number(n, path); ok {
			v.SetFloat(f)
		}
	case reflect.Int:
		dc.decodeInt(n, v, path, false)
	case reflect.Uint64:
		dc.decodeInt(n, v, path, true)
	default:
		panic("scenario: no decoder for " + t.String())
	}
}

func describe(n *Node) string {
	switch n.Kind {
	case KindNull:
		return "nothing"
	case KindMap:
		return "a mapping"
	case KindSeq:
		return "a list"
	}
	switch n.Type {
	case TypeBool:
		return "boolean " + n.Value
	case TypeInt, TypeFloat:
		return "number " + n.Value
	}
	return strconv.Quote(n.Value)
}

func (dc *decoder) scalar(n *Node, path, want string) (*Node, bool) {
	if n.Kind != KindScalar {
		dc.d.add(n.Pos, "%s: expected %s, got %s", path, want, describe(n))
		return nil, false
	}
	return n, true
}

func (dc *decoder) number(n *Node, path string) (float64, bool) {
	if _, ok := dc.scalar(n, path, "a number"); !ok {
		return 0, false
	}
	if n.Type == TypeString && !n.Quoted {
		// YAML 1.2's core schema reads 1e-3 as a string; accept it.
		if f, err := strconv.ParseFloat(n.Value, 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
			return f, true
		}
	}
	if n.Type != TypeInt && n.Type != TypeFloat {
		dc.d.add(n.Pos, "%s: expected a number, got %s", path, describe(n))
		return 0, false
	}
	f, err := parseYAMLFloat(n.Value)
	if err != nil {
		dc.d.add(n.Pos, "%s: bad number %q", path, n.Value)
		return 0, false
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		dc.d.add(n.Pos, "%s: must be a finite number, got %s", path, n.Value)
		return 0, false
	}
	return f, true
}

func parseYAMLFloat(s string) (float64, error) {
	switch strings.ToLower(strings.TrimPrefix(s, "+")) {
	case ".inf":
		return math.Inf(1), nil
	case "-.inf":
		return math.Inf(-1), nil
	case ".nan":
		return math.NaN(), nil
	}
	s = strings.ReplaceAll(s, "_", "")
	if i, err := strconv.ParseInt(s, 0, 64); err == nil {
		return float64(i), nil
	}
	return strconv.ParseFloat(s, 64)
}

func (dc *decoder) decodeInt(n *Node, v reflect.Value, path string, unsigned bool) {
	if _, ok := dc.scalar(n, path, "a whole number"); !ok {
		return
	}
	if n.Type != TypeInt {
		dc.d.add(n.Pos, "%s: expected a whole number, got %s", path, describe(n))
		return
	}
	s := strings.ReplaceAll(n.Value, "_", "")
	if unsigned {
		u, err := strconv.ParseUint(s, 0, 64)
		if err != nil {
			dc.d.add(n.Pos, "%s: expected a whole number >= 0 below 2^64, got %s", path, n.Value)
			return
		}
		v.SetUint(u)
		return
	}
	i, err := strconv.ParseInt(s, 0, 64)
	if err != nil || i > math.MaxInt32 || i < math.MinInt32 {
		dc.d.add(n.Pos, "%s: whole number out of range: %s", path, n.Value)
		return
	}
	v.SetInt(i)
}

func (dc *decoder) decodeExpr(n *Node, v reflect.Value, path string) {
	if n.Kind == KindNull {
		return
	}
	if _, ok := dc.scalar(n, path, "a number or an expression"); !ok {
		return
	}
	if n.Type == TypeBool || n.Type == TypeInt || n.Type == TypeFloat {
		if n.Type != TypeBool {
			if f, err := parseYAMLFloat(n.Value); err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
				dc.d.add(n.Pos, "%s: must be a finite number, got %s", path, n.Value)
				return
			}
		}
	}
	if strings.TrimSpace(n.Value) == "" {
		dc.d.add(n.Pos, "%s: empty expression", path)
		return
	}
	v.Set(reflect.ValueOf(Expr{Src: n.Value, Pos: n.Pos, Quoted: n.Quoted, Block: n.Block, Set: n.Set}))
}

func (dc *decoder) decodeShares(n *Node, v reflect.Value, path string) {
	if n.Kind == KindNull {
		return
	}
	if n.Kind != KindMap {
		dc.d.add(n.Pos, "%s: expected a mapping of names to shares, got %s", path, describe(n))
		return
	}
	out := make(Shares, 0, len(n.Keys))
	for i, k := range n.Keys {
		f, ok := dc.number(n.Vals[i], path+"."+k.Value)
		if !ok {
			continue
		}
		out = append(out, Share{Name: k.Value, Value: f, Pos: k.Pos})
	}
	v.Set(reflect.ValueOf(out))
}

// fieldInfo maps YAML keys of a struct type to field indices.
type fieldInfo struct {
	keys     []string
	index    map[string]int
	pos      int // index of the Pos field, or -1
	required []string
}

func structFields(t reflect.Type) fieldInfo {
	fi := fieldInfo{index: map[string]int{}, pos: -1}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		if f.Name == "Pos" && f.Type == posType {
			fi.pos = i
			continue
		}
		if tag == "-" || tag == "" {
			continue
		}
		fi.keys = append(fi.keys, tag)
		fi.index[tag] = i
		if strings.Contains(f.Tag.Get("jsonschema"), "required") {
			fi.required = append(fi.required, tag)
		}
	}
	return fi
}

func (dc *decoder) decodeStruct(n *Node, v reflect.Value, path string) {
	fi := structFields(v.Type())
	if fi.pos >= 0 {
		v.Field(fi.pos).Set(reflect.ValueOf(n.Pos))
	}
	if n.Kind == KindNull {
		return
	}
	if n.Kind != KindMap {
		dc.d.add(n.Pos, "%s: expected a mapping, got %s", orRoot(path), describe(n))
		return
	}
	suggested := map[string]bool{}
	for i, k := range n.Keys {
		idx, ok := fi.index[k.Value]
		if !ok {
			near := dc.d.suggest(k.Value, fi.keys)
			if near != "" {
				suggested[strings.Trim(strings.TrimSuffix(strings.TrimPrefix(near, " (did you mean "), "?)"), `"`)] = true
			}
			where := orRoot(path)
			if k.Set != "" {
				where = "--set " + k.Set + ": " + where
			}
			dc.d.add(k.Pos, "%s: unknown key %q%s", where, k.Value, near)
			continue
		}
		dc.decode(n.Vals[i], v.Field(idx), join(path, k.Value))
	}
	for _, req := range fi.required {
		if indexKey(n, req) < 0 && !suggested[req] {
			dc.d.add(n.Pos, "%s: missing key %q", orRoot(path), req)
		}
	}
}

func orRoot(path string) string {
	if path == "" {
		return "scenario"
	}
	return path
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

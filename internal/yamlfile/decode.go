package yamlfile

import (
	"math"
	"reflect"
	"strconv"
	"strings"
)

var (
	posType  = reflect.TypeOf(Pos{})
	nodeType = reflect.TypeOf((*Node)(nil))
)

// A Hook decodes n into v (of the type it is registered for) in place of
// the Decoder's own rules, adding its problems to dc.Diags at path.
type Hook func(dc *Decoder, n *Node, v reflect.Value, path string)

// Decoder fills Go values from the positioned tree, strictly: unknown keys,
// wrong shapes and wrong scalar types are diagnostics, and decoding goes on
// so that every problem is reported at once.
//
// A struct's keys are its fields' `yaml` tags (a field without one, or
// with "-", is not a key); a field whose `jsonschema` tag says "required"
// must be given. A field named Pos of type Pos receives the position of
// the mapping, a field of type *Node the node itself (for the caller to
// check). Strings, booleans, float64, int (within int32), uint64,
// pointers (nil when left out or null), slices and structs are decoded;
// other types need a Hook.
type Decoder struct {
	// Diags receives every problem.
	Diags *Diags
	// Root names the whole file in messages ("scenario: unknown key").
	Root string
	// Pos, when not nil, records where each decoded path (e.g.
	// "behaviours[2].rate") was given; presence in it also tells a value
	// set to zero from an absent one.
	Pos Positions
	// Hooks decode the types they are registered for.
	Hooks map[reflect.Type]Hook
}

// Decode fills *v (v is a pointer) from the tree n.
func (dc *Decoder) Decode(n *Node, v any) {
	dc.Value(n, reflect.ValueOf(v).Elem(), "")
}

// Value decodes n into v, whose key path is path ("" for the root): the
// Decoder's step, which hooks call for the parts they leave to it.
func (dc *Decoder) Value(n *Node, v reflect.Value, path string) {
	if n == nil {
		return
	}
	if path != "" && dc.Pos != nil {
		dc.Pos[path] = n.Pos
	}
	t := v.Type()
	if h, ok := dc.Hooks[t]; ok {
		h(dc, n, v, path)
		return
	}
	if t == nodeType {
		v.Set(reflect.ValueOf(n))
		return
	}
	switch t.Kind() {
	case reflect.Pointer:
		if n.Kind == KindNull {
			return
		}
		nv := reflect.New(t.Elem())
		dc.Value(n, nv.Elem(), path)
		v.Set(nv)
	case reflect.Struct:
		dc.decodeStruct(n, v, path)
	case reflect.Slice:
		if n.Kind == KindNull {
			return
		}
		if n.Kind != KindSeq {
			dc.Diags.Add(n.Pos, "%s: expected a list, got %s", path, Describe(n))
			return
		}
		s := reflect.MakeSlice(t, len(n.Items), len(n.Items))
		for i, it := range n.Items {
			dc.Value(it, s.Index(i), path+"["+strconv.Itoa(i)+"]")
		}
		v.Set(s)
	case reflect.String:
		if s, ok := dc.Scalar(n, path, "a string"); ok {
			v.SetString(s.Value)
		}
	case reflect.Bool:
		s, ok := dc.Scalar(n, path, "true or false")
		if !ok {
			return
		}
		if s.Type != TypeBool {
			dc.Diags.Add(n.Pos, "%s: expected true or false, got %s", path, Describe(n))
			return
		}
		v.SetBool(s.Value == "true")
	case reflect.Float64:
		if f, ok := dc.Number(n, path); ok {
			v.SetFloat(f)
		}
	case reflect.Int:
		dc.decodeInt(n, v, path, false)
	case reflect.Uint64:
		dc.decodeInt(n, v, path, true)
	default:
		panic("yamlfile: no decoder for " + t.String())
	}
}

// Describe says what a node is, for "expected X, got Y" messages:
// nothing, a mapping, a list, boolean true, number 3, "text".
func Describe(n *Node) string {
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

// Scalar returns n when it is a scalar; otherwise it reports "path:
// expected want, got ..." and returns false.
func (dc *Decoder) Scalar(n *Node, path, want string) (*Node, bool) {
	if n.Kind != KindScalar {
		dc.Diags.Add(n.Pos, "%s: expected %s, got %s", path, want, Describe(n))
		return nil, false
	}
	return n, true
}

// Number returns the finite number n holds, or reports why it is not one
// (at path) and returns false. An unquoted 1e-3, which YAML 1.2's core
// schema reads as a string, is a number.
func (dc *Decoder) Number(n *Node, path string) (float64, bool) {
	if _, ok := dc.Scalar(n, path, "a number"); !ok {
		return 0, false
	}
	if n.Type == TypeString && !n.Quoted {
		// YAML 1.2's core schema reads 1e-3 as a string; accept it.
		if f, err := strconv.ParseFloat(n.Value, 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
			return f, true
		}
	}
	if n.Type != TypeInt && n.Type != TypeFloat {
		dc.Diags.Add(n.Pos, "%s: expected a number, got %s", path, Describe(n))
		return 0, false
	}
	f, err := ParseFloat(n.Value)
	if err != nil {
		dc.Diags.Add(n.Pos, "%s: bad number %q", path, n.Value)
		return 0, false
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		dc.Diags.Add(n.Pos, "%s: must be a finite number, got %s", path, n.Value)
		return 0, false
	}
	return f, true
}

// ParseFloat parses a YAML number: .inf, -.inf, .nan, integers in any
// base Go accepts (0x, 0o, 0b), underscores between digits.
func ParseFloat(s string) (float64, error) {
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

func (dc *Decoder) decodeInt(n *Node, v reflect.Value, path string, unsigned bool) {
	if _, ok := dc.Scalar(n, path, "a whole number"); !ok {
		return
	}
	if n.Type != TypeInt {
		dc.Diags.Add(n.Pos, "%s: expected a whole number, got %s", path, Describe(n))
		return
	}
	s := strings.ReplaceAll(n.Value, "_", "")
	if unsigned {
		u, err := strconv.ParseUint(s, 0, 64)
		if err != nil {
			dc.Diags.Add(n.Pos, "%s: expected a whole number >= 0 below 2^64, got %s", path, n.Value)
			return
		}
		v.SetUint(u)
		return
	}
	i, err := strconv.ParseInt(s, 0, 64)
	if err != nil || i > math.MaxInt32 || i < math.MinInt32 {
		dc.Diags.Add(n.Pos, "%s: whole number out of range: %s", path, n.Value)
		return
	}
	v.SetInt(i)
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

func (dc *Decoder) decodeStruct(n *Node, v reflect.Value, path string) {
	fi := structFields(v.Type())
	if fi.pos >= 0 {
		v.Field(fi.pos).Set(reflect.ValueOf(n.Pos))
	}
	if n.Kind == KindNull {
		return
	}
	if n.Kind != KindMap {
		dc.Diags.Add(n.Pos, "%s: expected a mapping, got %s", dc.orRoot(path), Describe(n))
		return
	}
	suggested := map[string]bool{}
	for i, k := range n.Keys {
		idx, ok := fi.index[k.Value]
		if !ok {
			near := dc.Diags.Suggest(k.Value, fi.keys)
			if near != "" {
				suggested[strings.Trim(strings.TrimSuffix(strings.TrimPrefix(near, " (did you mean "), "?)"), `"`)] = true
			}
			where := dc.orRoot(path)
			if k.Set != "" {
				where = "--set " + k.Set + ": " + where
			}
			dc.Diags.Add(k.Pos, "%s: unknown key %q%s", where, k.Value, near)
			continue
		}
		dc.Value(n.Vals[i], v.Field(idx), join(path, k.Value))
	}
	for _, req := range fi.required {
		if n.Index(req) < 0 && !suggested[req] {
			dc.Diags.Add(n.Pos, "%s: missing key %q", dc.orRoot(path), req)
		}
	}
}

func (dc *Decoder) orRoot(path string) string {
	if path == "" {
		return dc.Root
	}
	return path
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

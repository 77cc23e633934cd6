package rule

// Name resolution: identifiers and fields (score, tier, flags.x, partner.*)
// resolved against the schema, categories resolved to indices.

import (
	"strings"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
)

// viaPartner turns an accessor of the agent's own field into one of the
// partner's. Without a partner it reads 0, false or no category (rules that
// mention partner.* are skipped for such agents anyway).
func viaPartner(x val, err error) (val, error) {
	if err != nil {
		return x, err
	}
	x.col, x.testCol, x.test, x.score = nil, nil, nil, false // they read the agent's own row
	switch x.t {
	case tNum:
		f, fb := x.num, x.numBatch()
		x.num = func(v *View, i int32) float64 {
			if p := v.Partner[i]; p >= 0 {
				return f(v, p)
			}
			return 0
		}
		x.numB = partnerBatch(fb, 0, (*Arena).floats)
	case tBool:
		f, fb := x.bool, x.boolBatch()
		x.bool = func(v *View, i int32) bool {
			if p := v.Partner[i]; p >= 0 {
				return f(v, p)
			}
			return false
		}
		x.boolB = partnerBatch(fb, false, (*Arena).bools)
	default:
		f, fb := x.enum, x.enumBatch()
		x.enum = func(v *View, i int32) uint8 {
			if p := v.Partner[i]; p >= 0 {
				return f(v, p)
			}
			return noCategory
		}
		x.enumB = partnerBatch(fb, noCategory, (*Arena).enums)
	}
	return x, nil
}

// Field names an agent exposes, for "did you mean" and the docs.
var agentFields = []string{"score", "tier", "group", "region", "age", "children", "has_partner", "detained", "flags", "sanctions"}

func (c *compiler) fieldNames() []string {
	out := append([]string{}, agentFields...)
	out = append(out, c.s.Traits...)
	out = append(out, c.s.Scores...)
	if !c.inAcq {
		out = append(out, "partner", "acq", "day")
	}
	return out
}

// stateless are the fields an expression evaluated before day 0 cannot
// read: they do not exist yet.
var stateless = map[string]bool{"score": true, "tier": true, "detained": true, "flags": true, "sanctions": true, "acq": true, "day": false}

func (c *compiler) ident(name string, loc file.Location) (val, error) {
	if c.s.NoState && stateless[name] {
		return val{}, c.errAt(loc, "%s is not known before day 0; a starting score can read group, region, age, traits, children and has_partner", name)
	}
	switch name {
	case "score":
		c.reads(FieldScore)
		return val{t: tNum, loc: loc, score: true, num: func(v *View, i int32) float64 { return float64(v.Score[i]) / Scale },
			numB: func(v *View, idx []int32, out []float64, _ *Arena) {
				for k, i := range idx {
					out[k] = float64(v.Score[i]) / Scale
				}
			}}, nil
	case "children":
		return val{t: tNum, loc: loc, num: func(v *View, i int32) float64 { return float64(v.Kids[i]) }}, nil
	case "day":
		if c.inAcq {
			break
		}
		return val{t: tNum, loc: loc, num: func(v *View, i int32) float64 { return float64(v.Day) }}, nil
	case "has_partner":
		c.reads(FieldPartner)
		return val{t: tBool, loc: loc, bool: func(v *View, i int32) bool { return v.Partner[i] >= 0 },
			boolB: func(v *View, idx []int32, out []bool, _ *Arena) {
				for k, i := range idx {
					out[k] = v.Partner[i] >= 0
				}
			}}, nil
	case "detained":
		c.reads(FieldDetained)
		c.refs.Detained = true
		return val{t: tBool, loc: loc, bool: func(v *View, i int32) bool { return v.Detained[i] }}, nil
	case "tier":
		c.reads(FieldTier)
		col := func(v *View) []uint8 { return v.Tier }
		return val{t: tTier, loc: loc, col: col, enum: func(v *View, i int32) uint8 { return v.Tier[i] }, enumB: gather(col)}, nil
	case "group":
		col := func(v *View) []uint8 { return v.Group }
		return val{t: tGroup, loc: loc, col: col, enum: func(v *View, i int32) uint8 { return v.Group[i] }, enumB: gather(col)}, nil
	case "region":
		col := func(v *View) []uint8 { return v.Region }
		return val{t: tRegion, loc: loc, col: col, enum: func(v *View, i int32) uint8 { return v.Region[i] }, enumB: gather(col)}, nil
	case "age":
		col := func(v *View) []uint8 { return v.Age }
		return val{t: tAge, loc: loc, col: col, enum: func(v *View, i int32) uint8 { return v.Age[i] }, enumB: gather(col)}, nil
	case "partner", "acq", "flags", "sanctions":
		return val{}, c.errAt(loc, "%s needs a field, e.g. %s", name, map[string]string{
			"partner": "partner.score", "acq": "acq.share(tier == \"untrustworthy\")",
			"flags": "flags.enemy_of_state", "sanctions": "sanctions.travel_ban"}[name])
	}
	for k, sn := range c.s.Scores {
		if sn == name {
			return c.extraScore(k, loc)
		}
	}
	for t, tn := range c.s.Traits {
		if tn == name {
			bit := uint32(1) << uint(t)
			return val{t: tBool, loc: loc, bool: func(v *View, i int32) bool { return v.Traits[i]&bit != 0 },
				boolB: func(v *View, idx []int32, out []bool, _ *Arena) {
					for k, i := range idx {
						out[k] = v.Traits[i]&bit != 0
					}
				}}, nil
		}
	}
	return val{}, c.errAt(loc, "unknown name %q%s", name, Suggest(name, c.fieldNames()))
}

func (c *compiler) member(n *ast.MemberNode) (val, error) {
	base, ok := n.Node.(*ast.IdentifierNode)
	prop, ok2 := n.Property.(*ast.StringNode)
	if !ok || !ok2 {
		return val{}, c.errAt(n.Location(), "only name.field is supported here")
	}
	loc := n.Location()
	if c.s.NoState && stateless[base.Value] {
		return val{}, c.errAt(loc, "%s is not known before day 0; a starting score can read group, region, age, traits, children and has_partner", base.Value)
	}
	switch base.Value {
	case "partner":
		if c.inAcq {
			return val{}, c.errAt(loc, "partner is not available inside acq.*(...)")
		}
		if prop.Value == "partner" || prop.Value == "acq" || prop.Value == "day" {
			return val{}, c.errAt(loc, "partner.%s is not available", prop.Value)
		}
		c.refs.Partner = true
		c.inPartner = true
		x, err := c.ident(prop.Value, loc)
		c.inPartner = false
		return viaPartner(x, err)
	case "flags":
		c.reads(FieldFlags)
		for f, fn := range c.s.Flags {
			if fn == prop.Value {
				bit := uint32(1) << uint(f)
				return val{t: tBool, loc: loc, bool: func(v *View, i int32) bool { return v.Flags[i]&bit != 0 },
					boolB: func(v *View, idx []int32, out []bool, _ *Arena) {
						for k, i := range idx {
							out[k] = v.Flags[i]&bit != 0
						}
					}}, nil
			}
		}
		return val{}, c.errAt(loc, "unknown flag %q%s (flags are declared by a rule's set_flags)", prop.Value, Suggest(prop.Value, c.s.Flags))
	case "sanctions":
		c.reads(FieldSanctions)
		for s, sn := range c.s.Sanctions {
			if sn == prop.Value {
				bit := uint32(1) << uint(s)
				return val{t: tBool, loc: loc, bool: func(v *View, i int32) bool { return v.Sanctions[i]&bit != 0 },
					boolB: func(v *View, idx []int32, out []bool, _ *Arena) {
						for k, i := range idx {
							out[k] = v.Sanctions[i]&bit != 0
						}
					}}, nil
			}
		}
		return val{}, c.errAt(loc, "unknown sanction %q%s", prop.Value, Suggest(prop.Value, c.s.Sanctions))
	case "acq":
		if prop.Value == "count" {
			if c.inAcq {
				return val{}, c.errAt(loc, "acq.* cannot be nested")
			}
			c.refs.Acq = true
			c.refs.Others |= FieldDetained // acquaintances who are detained are skipped
			return val{t: tNum, loc: loc, num: func(v *View, i int32) float64 {

				k := 0
				var buf [64]int32
				for _, a := range v.Graph.Neighbours(i, buf[:0]) {
					if !v.Detained[a] {
						k++
					}
				}
				return float64(k)
			}}, nil
		}
		return val{}, c.errAt(loc, "acq.%s needs arguments: acq.share(cond), acq.count(cond), acq.mean(num), acq.min(num), acq.max(num), or acq.count", prop.Value)
	}
	return val{}, c.errAt(loc, "unknown name %q%s", base.Value, Suggest(base.Value, c.fieldNames()))
}

func (c *compiler) isEnum(t typ) bool { return t >= tTier && t <= tAge }

// resolve turns a string literal into the index of a category name.
func (c *compiler) resolve(t typ, s string, loc file.Location) (uint8, error) {
	names := t.names(c.s)
	for k, n := range names {
		if n == s {
			return uint8(k), nil
		}
	}
	return 0, c.errAt(loc, "unknown %s %q%s (known: %s)", t.category(), s, Suggest(s, names), strings.Join(names, ", "))
}

// extraScore reads extra score k (Schema.Scores[k]) in points.
func (c *compiler) extraScore(k int, loc file.Location) (val, error) {
	if c.s.NoState {
		return val{}, c.errAt(loc, "%s is not known before day 0; a starting score can read group, region, age, traits, children and has_partner", c.s.Scores[k])
	}
	c.reads(FieldScores)
	return val{t: tNum, loc: loc, num: func(v *View, i int32) float64 { return float64(v.Scores[k][i]) / Scale },
		numB: func(v *View, idx []int32, out []float64, _ *Arena) {
			col := v.Scores[k]
			for j, i := range idx {
				out[j] = float64(col[i]) / Scale
			}
		}}, nil
}

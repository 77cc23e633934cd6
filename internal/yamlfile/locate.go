package yamlfile

import (
	"bytes"
	"unicode/utf8"
)

// Locate finds the file position of rune offset off of the text of a
// scalar node n (one Parse made, or one built from a decoded scalar's
// Pos, Value, Quoted and Block) by walking the scalar's source text in
// d.Src alongside the decoded text: this follows
// folded lines, block-scalar indentation and quote escapes. It costs time
// in proportion to the expression's text, whatever the file's size or the
// length of its lines: the file's line offsets are found once per load, and
// the walk decodes one rune at a time rather than converting lines.
func (d *Diags) Locate(n *Node, off int) Pos {
	lines := d.LineStarts()
	if n.Pos.Line < 1 || n.Pos.Line > len(lines) {
		return n.Pos
	}
	text := func(l int) []byte {
		end := len(d.Src)
		if l+1 < len(lines) {
			end = lines[l+1] - 1
		}
		return d.Src[lines[l]:end]
	}
	// The cursor: 0-based line l, byte offset b in it and rune column c.
	l, b, c := n.Pos.Line-1, 0, n.Pos.Col-1
	line := text(l)
	if c < 0 {
		// Block scalars may come without a column: start at the text.
		c = len(line) - len(bytes.TrimLeft(line, " \t"))
		b = c
	} else {
		for k := 0; k < c; k++ {
			if b < len(line) {
				_, size := utf8.DecodeRune(line[b:])
				b += size
			} else {
				b++ // past the end: the line break
			}
		}
	}
	runeAt := func() (rune, bool) {
		if l >= len(lines) {
			return 0, false
		}
		if b >= len(line) {
			return '\n', true
		}
		r, _ := utf8.DecodeRune(line[b:])
		return r, true
	}
	advance := func() {
		switch {
		case l >= len(lines):
			b, c = b+1, c+1
		case b >= len(line):
			l, b, c = l+1, 0, 0
			if l < len(lines) {
				line = text(l)
			}
		default:
			_, size := utf8.DecodeRune(line[b:])
			b, c = b+size, c+1
		}
	}
	base := c // a block scalar's indentation
	quote := rune(0)
	if n.Quoted && !n.Block {
		if r, _ := runeAt(); r == '\'' || r == '"' {
			quote = r
			advance()
		}
	}
	k := 0
	for _, t := range n.Value {
		if k >= off {
			break
		}
		k++
		r, ok := runeAt()
		if !ok {
			break
		}
		switch {
		case t == '\n' && n.Block:
			// A kept line break: skip to the block's indentation.
			for r, ok := runeAt(); ok && r != '\n'; r, ok = runeAt() {
				advance()
			}
			advance()
			for k := 0; k < base; k++ {
				if r, ok := runeAt(); ok && r == ' ' {
					advance()
				}
			}
		case t == r && !(quote == '\'' && r == '\''):
			advance()
		case t == ' ' || t == '\n':
			// Folded or wrapped whitespace: skip the source's run of it.
			for r, ok := runeAt(); ok && (r == ' ' || r == '\t' || r == '\n'); r, ok = runeAt() {
				advance()
			}
		case quote == '\'' && r == '\'':
			advance() // '' stands for '
			advance()
		case quote == '"' && r == '\\':
			advance()
			advance()
		default:
			// Leading indentation of a block scalar's later lines.
			for r, ok := runeAt(); ok && (r == ' ' || r == '\n') && r != t; r, ok = runeAt() {
				advance()
			}
			advance()
		}
	}
	// Land on the first non-blank at a line start (block indentation).
	if r, ok := runeAt(); ok && r == '\n' {
		l, b, c = l+1, 0, 0
		if l < len(lines) {
			line = text(l)
		}
	}
	if l < len(lines) && c == 0 {
		for b < len(line) && (line[b] == ' ' || line[b] == '\t') {
			b, c = b+1, c+1
		}
	}
	return Pos{Line: l + 1, Col: c + 1}
}

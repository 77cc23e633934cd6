package yamlfile

import (
	"context"
	"fmt"
	"unicode/utf8"
)

// The loader's budgets, the same for every kind of file (the byte budget
// is each Format's MaxSize). YAML text is checked against them by Prescan
// in one pass over the bytes, before the YAML parser sees it: the parser
// builds its whole tree first and some shapes cost it far more than their
// size (memory grows with the square of the nesting depth, time with the
// square of the number of keys in one block mapping), so a check after
// parsing comes too late. The built-in scenarios use a small part of each
// (at most 10 KB, depth 6, 1,706 nodes, 13 keys in a mapping and 195-byte
// lines; a test keeps it so); docs/reliability.md lists them with what
// happens when one is reached.
const (
	// MaxDepth bounds how deeply collections (mappings, lists) nest.
	MaxDepth = 64
	// MaxNodes bounds the YAML nodes of a file, counted by Prescan as
	// written (an upper bound: every scalar, indicator and bracket
	// counts) and again after aliases are expanded.
	MaxNodes = 100_000
	// MaxKeys bounds the keys of one mapping: more than the 255 names a
	// shares mapping (regions, groups, ages) can hold.
	MaxKeys = 256
	// MaxLineBytes bounds the length of one line, in bytes.
	MaxLineBytes = 8 << 10
)

// Prescan checks YAML source against the loader's budgets (f.MaxSize,
// MaxDepth, MaxNodes, MaxKeys, MaxLineBytes) in one pass over its bytes and
// stops at the first budget exceeded. It needs memory in proportion to the
// nesting depth only. The result is nil or Errors holding one positioned
// diagnostic naming the budget and its value.
//
// Prescan is not a YAML parser: it follows indentation, flow brackets,
// quotes, comments and block scalars far enough to count, always erring
// towards counting more (so a file it passes cannot hold more than the
// budgets allow), and leaves every syntax error to the parser.
// It stops with ctx's error when ctx is done (checked every 4,096 lines).
func Prescan(ctx context.Context, f Format, file string, src []byte) error {
	if len(src) > f.MaxSize {
		return Errors{{File: file, Msg: f.tooLarge(len(src))}}
	}
	s := &prescanner{ctx: ctx, src: src}
	s.scan()
	if s.err != nil {
		return s.err
	}
	if s.msg == "" {
		return nil
	}
	return Errors{{File: file, Pos: s.errPos, Msg: s.msg}}
}

// budgetUse is the most of each budget a source used (nodes is filled
// in from prescanner.nodes by the test that reads it).
type budgetUse struct {
	depth, nodes, keys, line int
}

// level is one open block collection: a mapping or a list whose entries
// start at column col.
type level struct {
	col  int
	seq  bool
	keys int
}

// flowLevel is one open [ or { collection.
type flowLevel struct {
	mapping bool
	keys    int
	entry   bool // the entry since the last comma has something in it
}

type prescanner struct {
	ctx context.Context
	src []byte

	// The line being scanned: its start offset, its end offset (before
	// the line break) and its 1-based number. Rune columns are counted
	// only for a diagnostic (colAt).
	lineStart, lineEnd, line int

	block []level
	flow  []flowLevel
	nodes int

	// State carried from one line to the next.
	quote       byte // inside a quoted scalar: ' or "
	blockScalar bool // inside a | or > block scalar
	blockParent int  // a block scalar's lines are indented more than this

	// The most of each budget used so far, for the tests that keep the
	// built-in scenarios well inside them.
	used budgetUse

	msg    string
	errPos Pos
	err    error // the context's error
}

// colAt returns the 1-based rune column of byte offset i on the current line.
func (s *prescanner) colAt(i int) int {
	return utf8.RuneCount(s.src[s.lineStart:i]) + 1
}

func (s *prescanner) fail(i int, format string, args ...any) {
	if s.msg == "" {
		s.msg = fmt.Sprintf(format, args...)
		s.errPos = Pos{Line: s.line, Col: s.colAt(i)}
	}
}

func (s *prescanner) failed() bool { return s.msg != "" || s.err != nil }

func (s *prescanner) addNodes(i, n int) {
	s.nodes += n
	if s.nodes > MaxNodes {
		s.fail(i, "more than %d YAML nodes (the loader's node budget)", MaxNodes)
	}
}

func (s *prescanner) checkDepth(i int) {
	d := len(s.block) + len(s.flow)
	s.used.depth = max(s.used.depth, d)
	if d > MaxDepth {
		s.fail(i, "nesting deeper than %d levels (the loader's depth budget)", MaxDepth)
	}
}

func (s *prescanner) addKey(i int, keys *int) {
	*keys++
	s.used.keys = max(s.used.keys, *keys)
	if *keys > MaxKeys {
		s.fail(i, "a mapping with more than %d keys (the loader's key budget)", MaxKeys)
	}
}

func (s *prescanner) scan() {
	for start := 0; start < len(s.src) && !s.failed(); {
		s.line++
		if s.line%4096 == 0 {
			if err := s.ctx.Err(); err != nil {
				s.err = err
				return
			}
		}
		end := start
		for end < len(s.src) && s.src[end] != '\n' {
			end++
		}
		s.lineStart, s.lineEnd = start, end
		s.used.line = max(s.used.line, end-start)
		s.scanLine()
		if !s.failed() && end-start > MaxLineBytes {
			s.fail(start+MaxLineBytes, "line longer than %d bytes (the loader's line budget)", MaxLineBytes)
		}
		start = end + 1
	}
}

// scanLine scans one line; it looks at no more than MaxLineBytes+1 bytes
// of it, so a budget error inside the line comes before the line budget's.
func (s *prescanner) scanLine() {
	i, end := s.lineStart, s.lineEnd
	if end-i > MaxLineBytes+1 {
		end = i + MaxLineBytes + 1
	}
	for end > i && s.src[end-1] == '\r' {
		end--
	}
	if s.blockScalar {
		ind := i
		for ind < end && s.src[ind] == ' ' {
			ind++
		}
		if ind == end || ind-i > s.blockParent {
			return // a block scalar's line, or a blank one
		}
		s.blockScalar = false
	}
	if s.quote != 0 {
		i = s.skipQuoted(i, end)
		if s.quote != 0 || s.failed() {
			return
		}
		// The rest of the line continues the quoted scalar's context.
		if len(s.flow) > 0 {
			s.scanFlow(i, end)
			return
		}
		s.scanBlock(i, end)
		return
	}
	if len(s.flow) > 0 {
		s.scanFlow(i, end)
		return
	}
	// Block context: indentation decides the open collections.
	ind := i
	for ind < end && (s.src[ind] == ' ' || s.src[ind] == '\t') {
		ind++
	}
	if ind == end || s.src[ind] == '#' {
		return
	}
	if ind == i {
		switch {
		case s.src[i] == '%':
			return // a directive
		case hasMarker(s.src[i:end], "---"), hasMarker(s.src[i:end], "..."):
			s.block = s.block[:0] // a new document
			i += 3
			s.scanBlock(i, end)
			return
		}
	}
	col := ind - s.lineStart
	for len(s.block) > 0 && s.block[len(s.block)-1].col > col {
		s.block = s.block[:len(s.block)-1]
	}
	s.scanBlock(ind, end)
}

func hasMarker(b []byte, m string) bool {
	return len(b) >= 3 && string(b[:3]) == m && (len(b) == 3 || b[3] == ' ' || b[3] == '\t')
}

// open records a block collection entry (a key or a "- " item) at byte
// offset i: it continues the collection at that column or opens a new one.
func (s *prescanner) open(i int, seq bool) {
	col := i - s.lineStart // byte columns compare like rune columns for indentation
	for {
		if len(s.block) == 0 || s.block[len(s.block)-1].col < col {
			s.block = append(s.block, level{col: col, seq: seq})
			s.checkDepth(i)
			break
		}
		top := &s.block[len(s.block)-1]
		if top.col > col {
			s.block = s.block[:len(s.block)-1]
			continue
		}
		if top.seq == seq {
			break
		}
		if !top.seq && seq {
			// key:
			// - item      (a list at the key's own column)
			s.block = append(s.block, level{col: col, seq: true})
			s.checkDepth(i)
			break
		}
		// A key at a list's column ends the list.
		s.block = s.block[:len(s.block)-1]
	}
	if top := &s.block[len(s.block)-1]; !seq {
		s.addKey(i, &top.keys)
	}
}

// commentAt reports whether a '#' at offset i starts a comment: at the start
// of a line or after white space (elsewhere it is part of a scalar).
func (s *prescanner) commentAt(i int) bool {
	return i == s.lineStart || s.src[i-1] == ' ' || s.src[i-1] == '\t'
}

// scanBlock scans block content from offset i to end.
func (s *prescanner) scanBlock(i, end int) {
	for i < end && !s.failed() {
		c := s.src[i]
		switch {
		case c == ' ' || c == '\t':
			i++
		case c == '#' && s.commentAt(i):
			return
		case (c == '-' || c == '?') && (i+1 == end || s.src[i+1] == ' ' || s.src[i+1] == '\t'):
			s.open(i, c == '-')
			s.addNodes(i, 3)
			i++
		case c == '[' || c == '{':
			s.scanFlow(i, end)
			return
		case c == '|' || c == '>':
			s.addNodes(i, 1)
			s.blockScalar = true
			s.blockParent = -1
			if len(s.block) > 0 {
				s.blockParent = s.block[len(s.block)-1].col
			}
			return
		case c == '&' || c == '!' || c == '*':
			s.addNodes(i, 1)
			for i < end && s.src[i] != ' ' && s.src[i] != '\t' {
				i++
			}
		case c == '"' || c == '\'':
			start := i
			s.quote = c
			s.addNodes(i, 1)
			i = s.skipQuoted(i+1, end)
			if s.quote != 0 {
				return
			}
			j := i
			for j < end && (s.src[j] == ' ' || s.src[j] == '\t') {
				j++
			}
			if j < end && s.src[j] == ':' {
				s.key(start)
				i = j + 1
			}
		default:
			// A plain scalar, up to a ": " (then it was a key), " #" or
			// the end of the line.
			start := i
			s.addNodes(i, 1)
			for i < end {
				if s.src[i] == ':' && (i+1 == end || s.src[i+1] == ' ' || s.src[i+1] == '\t') {
					s.key(start)
					i++
					break
				}
				if s.src[i] == '#' && (s.src[i-1] == ' ' || s.src[i-1] == '\t') {
					return
				}
				i++
			}
		}
	}
}

// key records a block mapping key starting at offset i.
func (s *prescanner) key(i int) {
	s.open(i, false)
	s.addNodes(i, 2)
}

// skipQuoted skips the inside of a quoted scalar from offset i to its
// closing quote and returns the offset after it; s.quote stays set when
// the scalar goes on past end (onto the next line).
func (s *prescanner) skipQuoted(i, end int) int {
	for i < end {
		c := s.src[i]
		switch {
		case s.quote == '"' && c == '\\':
			i += 2
			continue
		case c == s.quote && s.quote == '\'' && i+1 < end && s.src[i+1] == '\'':
			i += 2
			continue
		case c == s.quote:
			s.quote = 0
			return i + 1
		}
		i++
	}
	return end
}

// scanFlow scans flow content ([...] and {...}) from offset i to end; when
// the outermost bracket closes it goes back to block content.
func (s *prescanner) scanFlow(i, end int) {
	for i < end && !s.failed() {
		c := s.src[i]
		switch {
		case c == ' ' || c == '\t':
			i++
		case c == '#' && s.commentAt(i):
			return
		case c == '[' || c == '{':
			s.flowEntry(i, 0)
			s.flow = append(s.flow, flowLevel{mapping: c == '{'})
			s.checkDepth(i)
			s.addNodes(i, 1)
			i++
		case c == ']' || c == '}':
			i++
			if len(s.flow) > 0 {
				s.flow = s.flow[:len(s.flow)-1]
			}
			if len(s.flow) == 0 {
				s.scanBlock(i, end)
				return
			}
		case c == ',':
			s.addNodes(i, 1)
			s.flow[len(s.flow)-1].entry = false
			i++
		case c == ':' && (i+1 == end || strchr(" \t,[]{}", s.src[i+1])):
			s.flowEntry(i, 3)
			i++
		case c == '"' || c == '\'':
			s.quote = c
			s.flowEntry(i, 1)
			i = s.skipQuoted(i+1, end)
			if s.quote != 0 {
				return
			}
		case c == '&' || c == '!' || c == '*':
			s.flowEntry(i, 1)
			for i < end && !strchr(" \t,[]{}", s.src[i]) {
				i++
			}
		default:
			s.flowEntry(i, 1)
			for i < end && !strchr(",[]{}", s.src[i]) {
				if s.src[i] == ':' && (i+1 == end || strchr(" \t,[]{}", s.src[i+1])) {
					break
				}
				if s.src[i] == '#' && (s.src[i-1] == ' ' || s.src[i-1] == '\t') {
					return
				}
				i++
			}
		}
	}
}

// flowEntry counts n nodes of flow content at offset i; the first thing
// in an entry of a flow mapping (between commas) counts as its key.
func (s *prescanner) flowEntry(i, n int) {
	s.addNodes(i, n)
	if len(s.flow) == 0 {
		return
	}
	if top := &s.flow[len(s.flow)-1]; !top.entry {
		top.entry = true
		if top.mapping {
			s.addKey(i, &top.keys)
		}
	}
}

func strchr(set string, c byte) bool {
	for k := 0; k < len(set); k++ {
		if set[k] == c {
			return true
		}
	}
	return false
}

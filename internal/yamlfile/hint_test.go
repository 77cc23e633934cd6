package yamlfile

import "testing"

// TestSyntaxHint: a format's SyntaxHint sees the text of the line a
// syntax error is on and its column, and what it returns ends the message.
func TestSyntaxHint(t *testing.T) {
	var gotLine string
	var gotCol int
	f := Format{Name: "test", MaxSize: 1 << 20, SyntaxHint: func(line string, col int) string {
		gotLine, gotCol = line, col
		return "; a hint"
	}}
	d := &Diags{File: "t.yaml", Src: []byte("a: 1\r\nb: x ? y : z\nc: 2\n")}
	if n := Parse(f, d); n != nil {
		t.Fatal("parsed a syntax error")
	}
	es, _ := d.Err().(Errors)
	if len(es) != 1 || es[0].Msg != "syntax error: mapping value is not allowed in this context; a hint" {
		t.Fatalf("got %v", d.Err())
	}
	if gotLine != "b: x ? y : z" || gotCol != es[0].Col {
		t.Errorf("hint saw line %q col %d; want the second line and col %d", gotLine, gotCol, es[0].Col)
	}
}

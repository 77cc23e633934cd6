package scenario

import "testing"

func TestBuiltinsLoad(t *testing.T) {
	for _, b := range Builtins() {
		src, err := BuiltinSource(b.Name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Load(b.Name+".yaml", src, nil); err != nil {
			t.Errorf("%s: %v", b.Name, err)
		}
	}
}

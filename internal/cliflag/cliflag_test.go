package cliflag

import (
	"errors"
	"io"
	"testing"

	"github.com/spf13/pflag"
)

// Explain words the errors pflag itself returns, so the test parses real
// command lines.
func TestExplain(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--agent", "100"}, `unknown flag: --agent (did you mean "--agents"?)`},
		{[]string{"--bogus"}, "unknown flag: --bogus; see nosedive run --help"},
		{[]string{"--agents=20k"}, `--agents: "20k" is not a whole number (write 20000)`},
		{[]string{"--agents=1.5M"}, `--agents: "1.5M" is not a whole number (write 1500000)`},
		{[]string{"--agents=1.2345k"}, `--agents: "1.2345k" is not a whole number`},
		{[]string{"--agents=many"}, `--agents: "many" is not a whole number`},
		{[]string{"--agents=99999999999999999999"}, `--agents: "99999999999999999999" is out of range for a whole number`},
		{[]string{"--seed=-1"}, `--seed: "-1" is not a whole number, 0 or more`},
		{[]string{"-s", "x"}, `--seed: "x" is not a whole number, 0 or more`},
		{[]string{"--share=half"}, `--share: "half" is not a number`},
		{[]string{"--name"}, "flag needs an argument: --name"},
	} {
		f := pflag.NewFlagSet("run", pflag.ContinueOnError)
		f.SetOutput(io.Discard)
		f.Int("agents", 0, "")
		f.Uint64P("seed", "s", 0, "")
		f.Float64("share", 0, "")
		f.String("name", "", "")
		err := f.Parse(c.args)
		if err == nil {
			t.Fatalf("%v parsed", c.args)
		}
		var names []string
		f.VisitAll(func(f *pflag.Flag) { names = append(names, f.Name) })
		if got := Explain(err, names, "nosedive run"); got != c.want {
			t.Errorf("%v: got %q, want %q", c.args, got, c.want)
		}
	}
}

func TestUnknownCommand(t *testing.T) {
	err := UnknownCommand(errors.New("unknown command \"rn\" for \"nosedive\"\n\nDid you mean this?\n\trun\n\n"))
	var ue *UsageError
	if !errors.As(err, &ue) || ue.Msg != "unknown command \"rn\" for \"nosedive\"\n\nDid you mean this?\n\trun" {
		t.Errorf("got %#v", err)
	}
	other := errors.New("unknown flag: --x")
	if UnknownCommand(other) != other || UnknownCommand(nil) != nil {
		t.Error("an error that is no unknown command is changed")
	}
}

func TestArgCount(t *testing.T) {
	err := ArgCount("nosedive run", 1, 2)
	var ue *UsageError
	if !errors.As(err, &ue) || err.Error() != "nosedive run takes 1 argument(s), got 2; see nosedive run --help" {
		t.Errorf("got %#v", err)
	}
}

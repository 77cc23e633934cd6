package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// UnmarshalJSON reads Figures back in their order (tests only: the
// fixtures below are `--json` output of the commands).
func (fs *Figures) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return fmt.Errorf("figures: want an object: %v", err)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		var iv Interval
		if err := dec.Decode(&iv); err != nil {
			return err
		}
		*fs = append(*fs, NamedInterval{Name: tok.(string), Interval: iv})
	}
	return nil
}

func readFixture[T any](t *testing.T, name string) *T {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "text", name))
	if err != nil {
		t.Fatal(err)
	}
	v := new(T)
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return v
}

// TestTextGolden renders the JSON the commands wrote (a xinjiang-pilot
// run of 1,500 agents x 60 days audited with --by group,region,age, the
// no-regime twin and one ablation; three replicates; an attribution; one
// citizen) and compares with what the commands printed for the same runs
// before the formatters moved here from cmd/nosedive. Refresh with
// -update only for an intended change of the text.
func TestTextGolden(t *testing.T) {
	for _, tc := range []struct {
		golden string
		write  func(*bytes.Buffer) error
	}{
		{"audit.golden.txt", func(b *bytes.Buffer) error { return WriteText(b, readFixture[Report](t, "audit-report.json")) }},
		{"replicates.golden.txt", func(b *bytes.Buffer) error {
			return WriteReplicatesText(b, readFixture[Replicates](t, "replicates.json"))
		}},
		{"attribute.golden.txt", func(b *bytes.Buffer) error {
			return WriteAttributionText(b, readFixture[Attribution](t, "attribution.json"))
		}},
		{"explanation.golden.txt", func(b *bytes.Buffer) error {
			return WriteExplanationText(b, readFixture[Explanation](t, "explanation.json"))
		}},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			var b bytes.Buffer
			if err := tc.write(&b); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", "text", tc.golden)
			if *update {
				if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(b.String(), string(want)); diff != "" {
				t.Errorf("text differs (-got +want):\n%s", diff)
			}
		})
	}
}

type failingWriter struct{ after int }

var errFull = errors.New("disk full")

func (f *failingWriter) Write(p []byte) (int, error) {
	if f.after <= 0 {
		return 0, errFull
	}
	f.after--
	return len(p), nil
}

// A write error reaches the caller (a full disk or a closed pipe is not
// a finished table).
func TestTextReportsWriteErrors(t *testing.T) {
	rep := readFixture[Report](t, "audit-report.json")
	for _, after := range []int{0, 3, 10} {
		if err := WriteText(&failingWriter{after: after}, rep); !errors.Is(err, errFull) {
			t.Errorf("failing after %d writes: got %v", after, err)
		}
	}
}

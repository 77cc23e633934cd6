package scenario

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/nosedive-lab/nosedive/internal/rule"
)

// Citation is one entry of the project's calibration notes
// (docs/calibration.md): a key that `source:` fields name, the full
// citation and how far the source can be trusted.
type Citation struct {
	Key     string `json:"key"`
	Text    string `json:"text"`
	Quality string `json:"quality"`
}

// LookupCitation returns the calibration notes' entry for key.
func LookupCitation(key string) (Citation, bool) {
	c, ok := citations[key]
	return c, ok
}

// CitationKeys returns every key of the calibration notes, sorted.
func CitationKeys() []string {
	keys := make([]string, 0, len(citations))
	for k := range citations {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// SourceRef is one entry of a `source:` field: a citation key and the note
// saying what was taken from it ("rfa-2017: daily prayer is a category").
type SourceRef struct {
	Key  string `json:"key"`
	Note string `json:"note,omitempty"`
}

var citationKey = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// ParseSource splits a `source:` field into its entries: keys separated by
// ";", each optionally followed by ":" and a note. It checks the form only;
// ResolveSource also checks that each key is known.
func ParseSource(s string) ([]SourceRef, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var refs []SourceRef
	for _, part := range strings.Split(s, ";") {
		part = strings.TrimSpace(part)
		key, note, _ := strings.Cut(part, ":")
		key, note = strings.TrimSpace(key), strings.TrimSpace(note)
		if !citationKey.MatchString(key) {
			return nil, fmt.Errorf("%q is not a citation key (lower-case words joined by '-', for example rfa-2017; write 'KEY: note; KEY: note', see docs/calibration.md)", key)
		}
		refs = append(refs, SourceRef{Key: key, Note: note})
	}
	return refs, nil
}

// ResolveSource parses a `source:` field and looks each key up among the
// scenario's own citations and then the calibration notes.
func ResolveSource(s string, own map[string]string) ([]SourceRef, error) {
	refs, err := ParseSource(s)
	if err != nil {
		return nil, err
	}
	for _, r := range refs {
		if _, ok := own[r.Key]; ok {
			continue
		}
		if _, ok := citations[r.Key]; ok {
			continue
		}
		cands := CitationKeys()
		for k := range own {
			cands = append(cands, k)
		}
		sort.Strings(cands)
		return nil, fmt.Errorf("unknown citation key %q%s: define it under citations: or use a key of docs/calibration.md", r.Key, rule.Suggest(r.Key, cands))
	}
	return refs, nil
}

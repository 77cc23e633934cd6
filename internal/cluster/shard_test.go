package cluster

import "testing"

// TestParseShardFromEnvironment: I/N as given, auto/N from the first of
// SLURM_ARRAY_TASK_ID and JOB_COMPLETION_INDEX that is set, and an index
// out of range refused (moved here from cmd/nosedive with ParseShard).
func TestParseShardFromEnvironment(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	for _, tc := range []struct {
		spec string
		env  map[string]string
		i, n int
	}{
		{"", nil, 0, 1},
		{"2/4", nil, 2, 4},
		{"auto/4", map[string]string{"SLURM_ARRAY_TASK_ID": "3"}, 3, 4},
		{"auto/8", map[string]string{"JOB_COMPLETION_INDEX": "5"}, 5, 8},
	} {
		i, n, err := ParseShard(tc.spec, env(tc.env))
		if err != nil || i != tc.i || n != tc.n {
			t.Errorf("%q %v: got %d/%d %v, want %d/%d", tc.spec, tc.env, i, n, err, tc.i, tc.n)
		}
	}
	if _, _, err := ParseShard("auto/4", env(map[string]string{"SLURM_ARRAY_TASK_ID": "4"})); err == nil {
		t.Error("SLURM_ARRAY_TASK_ID=4 accepted for 4 shards")
	}
}

package cluster

import (
	"fmt"
	"strconv"
	"strings"
)

// IndexVars are the environment variables a task of a job reads its shard
// index from: Slurm's array task id and a Kubernetes Indexed Job's
// completion index, in that order.
var IndexVars = []string{"SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX"}

// ParseShard reads `--shard I/N` (I from 0) or `--shard auto/N`, which
// takes I from the first of IndexVars that getenv finds set. "" is the
// whole sweep, 0/1.
func ParseShard(s string, getenv func(string) string) (i, n int, err error) {
	if s == "" {
		return 0, 1, nil
	}
	is, ns, ok := strings.Cut(s, "/")
	n, err = strconv.Atoi(ns)
	if !ok || err != nil || n < 1 || n > MaxShards {
		return 0, 0, fmt.Errorf("--shard %q: expected I/N with 1 <= N <= %d (e.g. 0/4), or auto/N", s, MaxShards)
	}
	if is == "auto" {
		for _, v := range IndexVars {
			if e := getenv(v); e != "" {
				i, err := strconv.Atoi(e)
				if err != nil || i < 0 || i >= n {
					return 0, 0, fmt.Errorf("--shard %s: %s=%q is not a shard index between 0 and %d", s, v, e, n-1)
				}
				return i, n, nil
			}
		}
		return 0, 0, fmt.Errorf("--shard %s: neither %s nor %s is set", s, IndexVars[0], IndexVars[1])
	}
	i, err = strconv.Atoi(is)
	if err != nil || i < 0 || i >= n {
		return 0, 0, fmt.Errorf("--shard %q: I must be a number from 0 to %d (shards are numbered from 0)", s, n-1)
	}
	return i, n, nil
}

package runner

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
)

// memLimit is one ceiling on the memory a run may use, and where it comes
// from (for the message when a run does not fit).
type memLimit struct {
	Bytes  uint64
	Source string
}

// sysRoot is the filesystem root the memory limits are read under; tests
// point it at fixture trees.
var sysRoot = "/"

// memoryLimits returns every memory ceiling it can read under root:
// MemAvailable from /proc/meminfo, and for each cgroup the process is in
// (from /proc/self/cgroup) the limits along its path, each less what that
// cgroup already uses (without reclaimable page cache):
//
//   - cgroup v2 (unified, mounted at /sys/fs/cgroup): memory.max and
//     memory.high of the process's cgroup and of every ancestor up to the
//     mount's root, less memory.current minus inactive_file of memory.stat;
//   - cgroup v1 (the memory controller, mounted at /sys/fs/cgroup/memory):
//     memory.limit_in_bytes along the same kind of path, less
//     memory.usage_in_bytes minus total_inactive_file.
//
// Inside a container the cgroup path printed in /proc/self/cgroup may be
// the host's, not the container's mount: walking up to the mount's root
// still reaches the container's own limit. "max" and v1's near-2^63 value
// mean no limit. Files that cannot be read are skipped: no limit read
// means no check.
func memoryLimits(root string) []memLimit {
	var out []memLimit
	if b, err := readSmall(filepath.Join(root, "proc/meminfo")); err == nil {
		if kb, ok := field(b, "MemAvailable:"); ok {
			out = append(out, memLimit{kb << 10, "MemAvailable in /proc/meminfo"})
		}
	}
	b, err := readSmall(filepath.Join(root, "proc/self/cgroup"))
	if err != nil {
		return out
	}
	for _, line := range strings.Split(string(b), "\n") {
		// hierarchy-ID:controller-list:cgroup-path
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		switch {
		case parts[0] == "0" && parts[1] == "":
			out = append(out, walkCgroup(root, "sys/fs/cgroup", parts[2], "cgroup v2",
				[]string{"memory.max", "memory.high"}, "memory.current", "inactive_file")...)
		case hasController(parts[1], "memory"):
			out = append(out, walkCgroup(root, "sys/fs/cgroup/memory", parts[2], "cgroup v1",
				[]string{"memory.limit_in_bytes"}, "memory.usage_in_bytes", "total_inactive_file")...)
		}
	}
	return out
}

func hasController(list, name string) bool {
	for _, c := range strings.Split(list, ",") {
		if c == name {
			return true
		}
	}
	return false
}

// walkCgroup reads the limits of cgroup path and its ancestors under
// root/mount.
func walkCgroup(root, mount, path, kind string, limits []string, usage, cache string) []memLimit {
	var out []memLimit
	p := filepath.Clean("/" + strings.TrimSpace(path)) // never above the mount
	for {
		dir := filepath.Join(root, mount, p)
		shown := filepath.Join("/", mount, p)
		var used uint64
		if b, err := readSmall(filepath.Join(dir, usage)); err == nil {
			if u, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64); err == nil {
				used = u
				if s, err := readSmall(filepath.Join(dir, "memory.stat")); err == nil {
					if c, ok := field(s, cache+" "); ok {
						used -= min(c, used)
					}
				}
			}
		}
		for _, name := range limits {
			b, err := readSmall(filepath.Join(dir, name))
			if err != nil {
				continue
			}
			v, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
			if err != nil || v >= 1<<62 { // "max", or v1's unlimited
				continue
			}
			src := fmt.Sprintf("%s %s in %s (%s", kind, name, shown, human(v))
			if used > 0 {
				src += fmt.Sprintf(", %s of it in use", human(used))
			}
			out = append(out, memLimit{v - min(used, v), src + ")"})
		}
		if p == "/" {
			return out
		}
		p = filepath.Dir(p)
	}
}

// readSmall reads a pseudo-file of at most 64 KiB.
func readSmall(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, 64<<10))
}

// field returns the number after a line's prefix ("MemAvailable:",
// "inactive_file ").
func field(b []byte, prefix string) (uint64, bool) {
	s := bufio.NewScanner(bytes.NewReader(b))
	for s.Scan() {
		line := s.Text()
		if rest, ok := strings.CutPrefix(line, prefix); ok {
			f := strings.Fields(rest)
			if len(f) >= 1 {
				v, err := strconv.ParseUint(f[0], 10, 64)
				return v, err == nil
			}
		}
	}
	return 0, false
}

// tightest returns the smallest limit (Bytes 0 when there is none).
func tightest(limits []memLimit) memLimit {
	var best memLimit
	for _, l := range limits {
		if best.Source == "" || l.Bytes < best.Bytes {
			best = l
		}
	}
	return best
}

const maxMemorySource = "--max-memory"

// memoryLimit is the ceiling a run must fit under: the smallest of the
// machine's and the cgroups' limits and maxMemory (--max-memory), if set.
func memoryLimit(maxMemory uint64) memLimit {
	limits := memoryLimits(sysRoot)
	if maxMemory > 0 {
		limits = append(limits, memLimit{maxMemory, maxMemorySource})
	}
	return tightest(limits)
}

// softMemoryLimit tells the garbage collector how much memory the run may
// use (90% of the tightest limit: the rest is for memory outside the Go
// heap), unless GOMEMLIMIT says otherwise.
// Without it a run near the limit could be killed holding garbage the
// collector would happily have freed (setup leaves several bytes per agent
// of it), and the heap could grow to twice its live size.
func softMemoryLimit(l memLimit) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	if l.Bytes == 0 {
		return
	}
	limit := l.Bytes / 10 * 9
	if l.Source != maxMemorySource {
		// What is available excludes what this process already holds
		// (the web lab runs many runs in one process).
		s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
		metrics.Read(s)
		limit += s[0].Value.Uint64() - s[1].Value.Uint64()
	}
	debug.SetMemoryLimit(int64(min(limit, 1<<62)))
}

// releaseSetupMemory collects the garbage population and network generation
// leave (edge buffers, shuffles: about 20 bytes per agent) and returns it to
// the operating system before the engine allocates its state, so the
// engine's arrays reuse those pages instead of adding to them. It lowered
// the peak of a 10,000,000-agent benchmark from 185 to 166 bytes per agent;
// at small sizes it costs well under a millisecond.
func releaseSetupMemory() { debug.FreeOSMemory() }

package runner

import (
	"bufio"
	"os"
	"strconv"
	"strings"
)

// availableMemory returns MemAvailable from /proc/meminfo in bytes, or 0
// when it cannot be read (then no check is made).
func availableMemory() uint64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		line := s.Text()
		if strings.HasPrefix(line, "MemAvailable:") {
			fields := strings.Fields(line)
			if len(fields) >= 2 {
				kb, err := strconv.ParseUint(fields[1], 10, 64)
				if err == nil {
					return kb << 10
				}
			}
		}
	}
	return 0
}

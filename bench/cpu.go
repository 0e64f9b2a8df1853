package main

import (
	"fmt"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTick is the unit of /proc/<pid>/stat's CPU times (USER_HZ, 100 on
// Linux).
const clockTick = 10 * time.Millisecond

// cpuMeter reads the CPU time the processes of a run have used: the dev
// server, Azurite, and this process (the worker and the client).
type cpuMeter struct {
	names []string
	pids  []int // 0 is this process
}

func (m *cpuMeter) add(name string, pid int) {
	m.names = append(m.names, name)
	m.pids = append(m.pids, pid)
}

// read returns each process's CPU time so far, user and system.
func (m *cpuMeter) read() ([]time.Duration, error) {
	out := make([]time.Duration, len(m.pids))
	for i, pid := range m.pids {
		var err error
		if out[i], err = processCPU(pid); err != nil {
			return nil, fmt.Errorf("CPU time of %s: %w", m.names[i], err)
		}
	}
	return out, nil
}

// processCPU returns the CPU time of process pid, or of this process when
// pid is 0.
func processCPU(pid int) (time.Duration, error) {
	if pid == 0 {
		var ru syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
			return 0, err
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return statCPU(string(b))
}

// statCPU returns utime+stime of a /proc/<pid>/stat line. The command
// name (field 2) may hold spaces and parentheses; the fields after its
// last closing parenthesis start at field 3, so utime and stime (14, 15)
// are the 12th and 13th of them.
func statCPU(stat string) (time.Duration, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, fmt.Errorf("stat %q: no command name", stat)
	}
	f := strings.Fields(stat[i+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("stat %q: %d fields after the command name, want at least 13", stat, len(f))
	}
	var ticks int64
	for _, s := range f[11:13] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("stat %q: %w", stat, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * clockTick, nil
}

// startCPUProfile profiles this process into file until the returned
// function is called.
func startCPUProfile(file string) (func(), error) {
	f, err := os.Create(file)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile %s: %w", file, err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

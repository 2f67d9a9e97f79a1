package rdb

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// identity is this process as a lock holder names it. Two holders are on the same host when
// their host names agree: a host name is taken to name one process namespace (containers have
// their own), so a process id means the same process for both.
type identity struct {
	host  string
	pid   int
	boot  string    // the kernel's boot id ("" where unknown): a different one means a reboot since
	start time.Time // when this process started
	// alive reports whether a process of this host is running and started at or before a
	// time (tests replace it).
	alive func(pid int, before time.Time) bool
}

func thisProcess() identity {
	host, _ := os.Hostname()
	if host == "" {
		host = "localhost"
	}
	return identity{host: host, pid: os.Getpid(), boot: bootID(), start: processStart(os.Getpid()), alive: processAlive}
}

// outlived reports whether h's process is known to be gone: it held the lock on this host, and
// the host has rebooted since, or no process of that id runs now that started before h took the
// lock (an id reused by a later process — a restarted container's pid 1 — is not the holder).
// A holder on another host, or one that may still run, is not.
func (id identity) outlived(h Holder) bool {
	if h.Host == "" || h.Host != id.host || h.token == "" {
		return false
	}
	if h.boot != "" && id.boot != "" && h.boot != id.boot {
		return true
	}
	if h.PID <= 0 {
		return false
	}
	if h.PID == id.pid {
		// Either another run of this very process holds it, or a previous process with the same
		// id (a restarted container's pid 1): only the latter started before the lock was taken.
		return id.start.IsZero() || id.start.After(h.Since.Add(startSlack))
	}
	return !id.alive(h.PID, h.Since.Add(startSlack))
}

// startSlack absorbs the coarseness of process start times (clock ticks) and of the wall clock
// they are derived from.
const startSlack = 2 * time.Second

// processAlive reports whether process pid runs (not a zombie) and started at or before before.
// Where /proc cannot tell, a process that answers signal 0 counts as alive.
func processAlive(pid int, before time.Time) bool {
	if b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); err == nil {
		state, started, ok := parseStat(string(b))
		if ok {
			if state == "Z" || state == "X" {
				return false
			}
			if !started.IsZero() && started.After(before) {
				return false // a later process reusing the id
			}
			return true
		}
	} else if errors.Is(err, os.ErrNotExist) && procMounted() {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

func procMounted() bool {
	_, err := os.Stat("/proc/self/stat")
	return err == nil
}

// processStart is when process pid started (zero when it cannot be read).
func processStart(pid int) time.Time {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return time.Time{}
	}
	_, started, _ := parseStat(string(b))
	return started
}

// parseStat reads a /proc/<pid>/stat line: the state, and the start time (field 22, clock ticks
// after boot; USER_HZ is 100 on every Linux streetsync runs on) as wall time.
func parseStat(stat string) (state string, started time.Time, ok bool) {
	i := strings.LastIndexByte(stat, ')') // the command name may hold spaces and parentheses
	if i < 0 {
		return "", time.Time{}, false
	}
	f := strings.Fields(stat[i+1:])
	if len(f) < 20 {
		return "", time.Time{}, false
	}
	state = f[0]
	ticks, err := strconv.ParseInt(f[19], 10, 64)
	if boot := bootTime(); err == nil && !boot.IsZero() {
		started = boot.Add(time.Duration(ticks) * 10 * time.Millisecond)
	}
	return state, started, true
}

// bootTime is when the host booted (btime in /proc/stat); zero where unknown.
func bootTime() time.Time {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return time.Time{}
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "btime "); ok {
			if s, err := strconv.ParseInt(strings.TrimSpace(rest), 10, 64); err == nil {
				return time.Unix(s, 0)
			}
		}
	}
	return time.Time{}
}

// bootID is the kernel's id of this boot ("" where unknown).
func bootID() string {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

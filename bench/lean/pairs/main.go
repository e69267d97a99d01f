// Command pairs times two commands against each other the way
// bench/lean/run.sh reports them: n interleaved pairs (the order
// alternating, so that neither always runs on a warmer machine), each
// run's wall time, CPU time (user+system) and peak RSS read from the
// kernel's rusage, then the medians and the ratios a÷b.
//
//	pairs -n 15 -name "ferry check" -dir D -a "ferry check" -b "helm template …"
//
// Commands are split on spaces; a failing command stops the run.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"log"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"time"
)

type sample struct{ wall, cpu, rss float64 } // ms, ms, MiB

func main() {
	n := flag.Int("n", 15, "pairs")
	name := flag.String("name", "", "what is compared, for the report")
	dir := flag.String("dir", ".", "working directory of both commands")
	a := flag.String("a", "", "first command")
	b := flag.String("b", "", "second command")
	flag.Parse()
	if *a == "" || *b == "" {
		log.Fatal("-a and -b are required")
	}
	var as, bs []sample
	for i := range *n {
		if i%2 == 0 {
			as, bs = append(as, run(*dir, *a)), append(bs, run(*dir, *b))
		} else {
			bs, as = append(bs, run(*dir, *b)), append(as, run(*dir, *a))
		}
	}
	ma, mb := medians(as), medians(bs)
	fmt.Printf("| %s | %.0f / %.0f ms (%.2f×) | %.0f / %.0f ms (%.2f×) | %.1f / %.1f MiB (%.2f×) |\n",
		*name, ma.wall, mb.wall, ma.wall/mb.wall, ma.cpu, mb.cpu, ma.cpu/mb.cpu, ma.rss, mb.rss, ma.rss/mb.rss)
}

func run(dir, command string) sample {
	args := strings.Fields(command)
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	// ferry check exits 1 for findings; anything else is a broken bench.
	if code := cmd.ProcessState.ExitCode(); err != nil && code != 1 {
		log.Fatalf("%s: %v\n%s", command, err, out.String())
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	return sample{
		wall: float64(wall.Microseconds()) / 1000,
		cpu:  float64(cpu.Microseconds()) / 1000,
		rss:  float64(ru.Maxrss) / 1024, // KiB on Linux
	}
}

func medians(s []sample) sample {
	med := func(f func(sample) float64) float64 {
		v := make([]float64, len(s))
		for i := range s {
			v[i] = f(s[i])
		}
		slices.Sort(v)
		if len(v)%2 == 1 {
			return v[len(v)/2]
		}
		return (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return sample{
		wall: med(func(x sample) float64 { return x.wall }),
		cpu:  med(func(x sample) float64 { return x.cpu }),
		rss:  med(func(x sample) float64 { return x.rss }),
	}
}

// Command modsize says where two Go binaries' bytes go, by module: the
// sizes of their text, read-only data and data symbols (`go tool nm
// -size`; bss takes no bytes in the file) summed by the module that
// holds each symbol's package, with the difference a−b. The binaries
// must keep their symbol tables (built without -s); a stripped build is
// about 1.9 times the symbol bytes, the rest being the function tables
// (pclntab) that grow with the code.
//
//	modsize [-n 15] ferry.syms helm.syms
package main

import (
	"bufio"
	"debug/buildinfo"
	"debug/elf"
	"flag"
	"fmt"
	"log"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
)

func main() {
	n := flag.Int("n", 15, "rows: the largest modules of the first binary, then the largest differences")
	flag.Parse()
	if flag.NArg() != 2 {
		log.Fatal("usage: modsize [-n rows] a b")
	}
	a, b := flag.Arg(0), flag.Arg(1)
	sa, sb := byModule(a), byModule(b)
	fmt.Printf("symbol bytes by module: a = %s %.1f MB, b = %s %.1f MB\n\n", filepath.Base(a), total(sa)/1e6, filepath.Base(b), total(sb)/1e6)
	table("largest", sa, sb, *n, func(m string) float64 { return sa[m] })
	fmt.Println()
	table("largest difference", sa, sb, *n, func(m string) float64 { return sa[m] - sb[m] })
}

func table(title string, sa, sb map[string]float64, n int, key func(string) float64) {
	var mods []string
	for m := range sa {
		mods = append(mods, m)
	}
	for m := range sb {
		if _, ok := sa[m]; !ok {
			mods = append(mods, m)
		}
	}
	sort.Slice(mods, func(i, j int) bool { return key(mods[i]) > key(mods[j]) })
	fmt.Printf("| module (%s) | a MB | b MB | a−b MB |\n|---|---|---|---|\n", title)
	for _, m := range mods[:min(n, len(mods))] {
		fmt.Printf("| %s | %.2f | %.2f | %+.2f |\n", m, sa[m]/1e6, sb[m]/1e6, (sa[m]-sb[m])/1e6)
	}
}

func total(s map[string]float64) float64 {
	var t float64
	for _, v := range s {
		t += v
	}
	return t
}

// byModule sums bin's symbol sizes by module path; the standard library
// is "std", the runtime's function metadata "go:func".
func byModule(bin string) map[string]float64 {
	bi, err := buildinfo.ReadFile(bin)
	if err != nil {
		log.Fatalf("%s: %v", bin, err)
	}
	mods := []string{bi.Main.Path}
	for _, d := range bi.Deps {
		mods = append(mods, d.Path)
	}
	// The longest module path that prefixes a package is its module.
	slices.SortFunc(mods, func(x, y string) int { return len(y) - len(x) })
	bss := bssOf(bin)
	cmd := exec.Command("go", "tool", "nm", "-size", bin)
	out, err := cmd.StdoutPipe()
	if err != nil {
		log.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		log.Fatal(err)
	}
	sums := map[string]float64{}
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || strings.ContainsAny(f[2], "bBU") {
			continue
		}
		addr, err1 := strconv.ParseUint(f[0], 16, 64)
		size, err2 := strconv.Atoi(f[1])
		if err1 != nil || err2 != nil || bss(addr) {
			continue
		}
		sums[moduleOf(strings.Join(f[3:], " "), mods)] += float64(size)
	}
	if err := cmd.Wait(); err != nil {
		log.Fatalf("go tool nm %s: %v", bin, err)
	}
	return sums
}

// bssOf reports whether an address lies in bin's zero-initialised
// sections, which nm lists as data but the file does not hold.
func bssOf(bin string) func(uint64) bool {
	f, err := elf.Open(bin)
	if err != nil {
		log.Fatalf("%s: %v", bin, err)
	}
	defer f.Close()
	var secs []*elf.Section
	for _, s := range f.Sections {
		if s.Type == elf.SHT_NOBITS {
			secs = append(secs, s)
		}
	}
	return func(a uint64) bool {
		for _, s := range secs {
			if a >= s.Addr && a < s.Addr+s.Size {
				return true
			}
		}
		return false
	}
}

// moduleOf names the module of a symbol such as
// "k8s.io/api/core/v1.(*Pod).Marshal" or "type:*helm.sh/helm/v4/pkg/chart.Chart".
func moduleOf(sym string, mods []string) string {
	if strings.HasPrefix(sym, "go:func.") {
		return "go:func"
	}
	for _, p := range []string{"type:.eq.", "type:.namedata.", "type:", "go:itab.", "go:string."} {
		if s, ok := strings.CutPrefix(sym, p); ok {
			sym = s
			break
		}
	}
	sym = strings.TrimLeft(sym, "*[]0123456789")
	head := sym
	if i := strings.IndexAny(head, "([,;"); i >= 0 {
		head = head[:i]
	}
	pkg := head
	if j := strings.IndexByte(head[strings.LastIndexByte(head, '/')+1:], '.'); j >= 0 {
		pkg = head[:strings.LastIndexByte(head, '/')+1+j]
	}
	for _, m := range mods {
		if pkg == m || strings.HasPrefix(pkg, m+"/") {
			return m
		}
	}
	return "std"
}

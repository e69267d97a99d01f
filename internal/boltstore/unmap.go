package boltstore

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// unmap removes every memory map of f from this process, reading
// /proc/self/maps for the mappings of f's inode. It is the cleanup of a
// bbolt that panicked on a damaged file while it had the file mapped: the
// map keeps the file's flock alive, and bbolt's own Close may block on
// the lock of the transaction that died.
func unmap(f *os.File) {
	var st syscall.Stat_t
	if err := syscall.Fstat(int(f.Fd()), &st); err != nil {
		return
	}
	maps, err := os.Open("/proc/self/maps")
	if err != nil {
		return
	}
	type span struct{ start, end uintptr }
	var spans []span
	sc := bufio.NewScanner(maps)
	for sc.Scan() {
		// start-end perms offset dev inode path
		fs := strings.Fields(sc.Text())
		if len(fs) < 6 || fs[4] != strconv.FormatUint(st.Ino, 10) {
			continue
		}
		a, b, ok := strings.Cut(fs[0], "-")
		start, err1 := strconv.ParseUint(a, 16, 64)
		end, err2 := strconv.ParseUint(b, 16, 64)
		if ok && err1 == nil && err2 == nil && end > start {
			spans = append(spans, span{uintptr(start), uintptr(end)})
		}
	}
	maps.Close()
	for _, sp := range spans {
		_, _, _ = syscall.Syscall(syscall.SYS_MUNMAP, sp.start, sp.end-sp.start, 0)
	}
}

// cutShort reports whether the bbolt file f is shorter than its
// own meta page says it is: its high-water page id times its page size.
// A file cut short (a full disk, a copy interrupted) can otherwise read
// cleanly up to the missing pages, and bbolt would write past the cut.
func cutShort(f *os.File, size int64) (need int64, short bool) {
	buf := make([]byte, 72)
	var best struct{ txid, need uint64 }
	for _, off := range []int64{0, -1} {
		if off < 0 {
			// The second meta page is at one page size.
			if _, err := f.ReadAt(buf, 0); err != nil {
				return 0, false
			}
			ps := int64(le32(buf[24:]))
			if ps < 512 || ps > 1<<20 {
				return 0, false
			}
			off = ps
		}
		if _, err := f.ReadAt(buf, off); err != nil {
			continue
		}
		// page header (16 bytes), then magic, version, page size, flags,
		// root bucket (16), freelist (8), pgid (8), txid (8).
		if le32(buf[16:]) != 0xED0CDAED {
			continue
		}
		ps := uint64(le32(buf[24:]))
		pgid := le64(buf[56:])
		txid := le64(buf[64:])
		if txid >= best.txid {
			best.txid, best.need = txid, pgid*ps
		}
	}
	if best.need == 0 || best.need > 1<<40 {
		return 0, false
	}
	return int64(best.need), size < int64(best.need)
}

func le32(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

func le64(b []byte) uint64 { return uint64(le32(b)) | uint64(le32(b[4:]))<<32 }

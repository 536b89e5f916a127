// c2sp_check is an independent interoperability checker for exante's
// C2SP outputs (tlog-checkpoint signed notes, tlog-tiles static
// directories, RFC 6962/9162 inclusion and consistency proofs).
//
// It deliberately uses only the Go reference implementations in
// golang.org/x/mod/sumdb/note and golang.org/x/mod/sumdb/tlog plus the
// standard library, so that it shares no code with the C implementation.
//
// Usage:
//
//	c2sp_check tiles DIR VKEY
//	c2sp_check inclusion CHECKPOINT VKEY PROOF_JSON ENTRY_FILE
//	c2sp_check consistency OLD_CHECKPOINT NEW_CHECKPOINT VKEY PROOF_JSON
//
// Exit status: 0 and one "ok ..." line on success, 1 and "FAIL: reason"
// on any verification failure, 2 on a usage error.
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

const (
	tileHeight = 8               // fixed by C2SP tlog-tiles
	tileWidth  = 1 << tileHeight // hashes per full tile, entries per full bundle

	// Record proofs are checked for every index up to this size,
	// otherwise for a deterministic sample of proofSample indexes.
	proofAllLimit = 5000
	proofSample   = 2000
)

// ---------------------------------------------------------------------
// Exit helpers.

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usage(format string, args ...interface{}) error {
	return usageError{fmt.Sprintf(format, args...)}
}

func fail(format string, args ...interface{}) error {
	return fmt.Errorf(format, args...)
}

const usageText = `usage:
  c2sp_check tiles DIR VKEY
  c2sp_check inclusion CHECKPOINT VKEY PROOF_JSON ENTRY_FILE
  c2sp_check consistency OLD_CHECKPOINT NEW_CHECKPOINT VKEY PROOF_JSON`

func main() {
	msg, err := run(os.Args[1:])
	if err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(os.Stderr, "usage error: %s\n%s\n", ue.msg, usageText)
			os.Exit(2)
		}
		// Keep the failure on a single line.
		fmt.Printf("FAIL: %s\n", strings.ReplaceAll(err.Error(), "\n", " "))
		os.Exit(1)
	}
	fmt.Println(msg)
}

func run(args []string) (string, error) {
	if len(args) == 0 {
		return "", usage("missing subcommand")
	}
	switch args[0] {
	case "tiles":
		if len(args) != 3 {
			return "", usage("tiles takes DIR VKEY")
		}
		return checkTiles(args[1], args[2])
	case "inclusion":
		if len(args) != 5 {
			return "", usage("inclusion takes CHECKPOINT VKEY PROOF_JSON ENTRY_FILE")
		}
		return checkInclusion(args[1], args[2], args[3], args[4])
	case "consistency":
		if len(args) != 5 {
			return "", usage("consistency takes OLD_CHECKPOINT NEW_CHECKPOINT VKEY PROOF_JSON")
		}
		return checkConsistency(args[1], args[2], args[3], args[4])
	case "-h", "-help", "--help", "help":
		return "", usage("help requested")
	default:
		return "", usage("unknown subcommand %q", args[0])
	}
}

// ---------------------------------------------------------------------
// Checkpoints (C2SP tlog-checkpoint inside a C2SP signed-note).

type checkpoint struct {
	origin     string
	size       int64
	root       tlog.Hash
	extensions []string
	signers    []string
}

func newVerifier(vkey string) (note.Verifier, error) {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, usage("invalid verifier key %q: %v", vkey, err)
	}
	return v, nil
}

// decodeHash decodes standard padded base64 of exactly 32 bytes.
func decodeHash(what, s string) (tlog.Hash, error) {
	var h tlog.Hash
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil {
		return h, fail("%s: bad base64 %q: %v", what, s, err)
	}
	if len(b) != tlog.HashSize {
		return h, fail("%s: decoded to %d bytes, want %d", what, len(b), tlog.HashSize)
	}
	copy(h[:], b)
	return h, nil
}

// parseSize parses a tree size: ASCII decimal, no sign, no leading zeros.
func parseSize(what, s string) (int64, error) {
	if s == "" {
		return 0, fail("%s: empty", what)
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, fail("%s: %q is not plain decimal", what, s)
		}
	}
	if len(s) > 1 && s[0] == '0' {
		return 0, fail("%s: %q has leading zeros", what, s)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fail("%s: %q: %v", what, s, err)
	}
	return n, nil
}

func readCheckpoint(path string, v note.Verifier) (*checkpoint, error) {
	msg, err := os.ReadFile(path)
	if err != nil {
		return nil, fail("reading checkpoint: %v", err)
	}
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		var une *note.UnverifiedNoteError
		if errors.As(err, &une) {
			var names []string
			for _, s := range une.Note.UnverifiedSigs {
				names = append(names, fmt.Sprintf("%s/%08x", s.Name, s.Hash))
			}
			return nil, fail("checkpoint %s: no signature from %s/%08x (unverified signatures: %s)",
				path, v.Name(), v.KeyHash(), strings.Join(names, ", "))
		}
		return nil, fail("checkpoint %s: note.Open: %v", path, err)
	}
	cp := &checkpoint{}
	for _, s := range n.Sigs {
		cp.signers = append(cp.signers, s.Name)
	}

	// n.Text is the signed body, guaranteed to end in "\n".
	body := strings.TrimSuffix(n.Text, "\n")
	lines := strings.Split(body, "\n")
	if len(lines) < 3 {
		return nil, fail("checkpoint %s: body has %d lines, want at least 3 (origin, size, root)", path, len(lines))
	}
	for i, l := range lines {
		if l == "" {
			return nil, fail("checkpoint %s: body line %d is empty", path, i+1)
		}
	}
	cp.origin = lines[0]
	if cp.size, err = parseSize("checkpoint size", lines[1]); err != nil {
		return nil, fail("checkpoint %s: %v", path, err)
	}
	if cp.root, err = decodeHash("checkpoint root", lines[2]); err != nil {
		return nil, fail("checkpoint %s: %v", path, err)
	}
	cp.extensions = lines[3:]
	return cp, nil
}

// emptyRoot is the RFC 6962 hash of the empty tree, SHA-256(""). Note
// that tlog.TreeHash(0, ...) instead returns the all-zero hash.
var emptyRoot = tlog.Hash(sha256.Sum256(nil))

// ---------------------------------------------------------------------
// C2SP tlog-tiles paths.

// encodeIndex encodes a tile/bundle index as zero-padded 3-digit path
// elements, all but the last prefixed with "x": 1234067 -> x001/x234/067.
func encodeIndex(n int64) string {
	if n < 0 {
		panic("negative tile index")
	}
	s := fmt.Sprintf("%03d", n%1000)
	for n >= 1000 {
		n /= 1000
		s = fmt.Sprintf("x%03d/%s", n%1000, s)
	}
	return s
}

// c2spTilePath maps a tlog.Tile of height 8 to its C2SP path. Unlike
// tlog.Tile.Path ("tile/8/L/..."), C2SP omits the height. Level -1
// (record data) maps to the entry bundle path "tile/entries/...".
func c2spTilePath(t tlog.Tile) string {
	if t.H != tileHeight {
		panic(fmt.Sprintf("tile height %d, C2SP requires %d", t.H, tileHeight))
	}
	if t.W < 1 || t.W > tileWidth {
		panic(fmt.Sprintf("tile width %d out of range", t.W))
	}
	level := strconv.Itoa(t.L)
	if t.L == -1 {
		level = "entries"
	}
	p := "tile/" + level + "/" + encodeIndex(t.N)
	if t.W < tileWidth {
		p += ".p/" + strconv.Itoa(t.W)
	}
	return p
}

// ---------------------------------------------------------------------
// Tiles of a directory.
//
// Subtlety: tlog.TileHashReader (x/mod v0.7.0, and ports of it) does not
// reliably authenticate non-rightmost tiles against their parent tiles:
// its "authenticate full tiles against their parents" loop starts at
// len(stx) (the number of subtree hashes making up the root) instead of
// the number of distinct tiles holding them, so when several root
// subtrees share a tile the first child tiles are returned unchecked.
// E.g. for a 70000-entry tree a corrupted tile/0/003 is served as-is.
// Therefore this checker authenticates every tile itself (authenticateTiles,
// using only tlog primitives) and additionally cross-checks everything
// read through tlog.TileHashReader.

type dirTiles struct {
	dir   string
	size  int64                // tree size the tiles are read for
	cache map[tlog.Tile][]byte // higher-level and partial tiles, reused often
}

func newDirTiles(dir string, size int64) *dirTiles {
	return &dirTiles{dir: dir, size: size, cache: make(map[tlog.Tile][]byte)}
}

// treeTile returns the tile at level l, number n, with the width it has
// in a tree of r.size entries; ok is false if the tree has no such tile.
func (r *dirTiles) treeTile(l int, n int64) (t tlog.Tile, ok bool) {
	count := r.size >> (uint(l) * tileHeight) // hashes at tree level 8*l
	if n < 0 || n*tileWidth >= count {
		return tlog.Tile{}, false
	}
	w := count - n*tileWidth
	if w > tileWidth {
		w = tileWidth
	}
	return tlog.Tile{H: tileHeight, L: l, N: n, W: int(w)}, true
}

// read returns the contents of tile t, which must be exactly t.W hashes.
func (r *dirTiles) read(t tlog.Tile) ([]byte, error) {
	if d, ok := r.cache[t]; ok {
		return d, nil
	}
	p := c2spTilePath(t)
	d, err := os.ReadFile(filepath.Join(r.dir, filepath.FromSlash(p)))
	if err != nil {
		return nil, fail("tile %s: %v", p, err)
	}
	if len(d) != t.W*tlog.HashSize {
		return nil, fail("tile %s: %d bytes, want %d (%d hashes)", p, len(d), t.W*tlog.HashSize, t.W)
	}
	if t.L > 0 || t.W < tileWidth {
		r.cache[t] = d
	}
	return d, nil
}

// tlog.TileReader implementation, used with tlog.TileHashReader.

func (r *dirTiles) Height() int { return tileHeight }

func (r *dirTiles) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		d, err := r.read(t)
		if err != nil {
			return nil, err
		}
		out[i] = d
	}
	return out, nil
}

func (r *dirTiles) SaveTiles(tiles []tlog.Tile, data [][]byte) {}

// ReadHashes implements tlog.HashReader directly on the tree's tiles,
// without any checking of its own. It is trustworthy only after
// authenticateTiles has succeeded.
func (r *dirTiles) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		min := tlog.TileForIndex(tileHeight, x)
		t, ok := r.treeTile(min.L, min.N)
		if !ok || t.W < min.W {
			return nil, fail("stored hash index %d is not in a tree of size %d", x, r.size)
		}
		d, err := r.read(t)
		if err != nil {
			return nil, err
		}
		if out[i], err = tlog.HashFromTile(t, d, x); err != nil {
			return nil, fail("hash %d from tile %s: %v", x, c2spTilePath(t), err)
		}
	}
	return out, nil
}

// authenticateTiles checks every hash tile that a C2SP log of r.size
// entries must serve against root:
//   - the tree hash computed from the tiles must equal root; this covers
//     every hash of every partial (rightmost) tile, and
//   - every full tile's subtree hash must equal the corresponding hash in
//     its parent tile (the top level always holds a single partial tile,
//     so every full tile has a parent).
//
// A level exists while size>>(8*L) > 0, so e.g. a 256-entry tree needs
// tile/1/000.p/1 holding just the root. It returns the number of tiles.
func authenticateTiles(r *dirTiles, root tlog.Hash) (int, error) {
	th, err := tlog.TreeHash(r.size, r)
	if err != nil {
		return 0, fail("tree hash from tiles: %v", err)
	}
	if th != root {
		return 0, fail("tiles hash to %s, checkpoint root is %s", th, root)
	}
	count := 0
	for l := 0; r.size>>(uint(l)*tileHeight) > 0; l++ {
		for n := int64(0); ; n++ {
			t, ok := r.treeTile(l, n)
			if !ok {
				break
			}
			count++
			if t.W < tileWidth {
				continue // rightmost partial tile: covered by the tree hash
			}
			d, err := r.read(t)
			if err != nil {
				return 0, err
			}
			lvl := l*tileHeight + tileHeight - 1
			left, err1 := tlog.HashFromTile(t, d, tlog.StoredHashIndex(lvl, 2*n))
			right, err2 := tlog.HashFromTile(t, d, tlog.StoredHashIndex(lvl, 2*n+1))
			if err1 != nil || err2 != nil {
				return 0, fail("bad math hashing tile %s: %v %v", c2spTilePath(t), err1, err2)
			}
			p, ok := r.treeTile(l+1, n/tileWidth)
			if !ok {
				return 0, fail("bad math: full tile %s has no parent", c2spTilePath(t))
			}
			pd, err := r.read(p)
			if err != nil {
				return 0, err
			}
			want, err := tlog.HashFromTile(p, pd, tlog.StoredHashIndex((l+1)*tileHeight, n))
			if err != nil {
				return 0, fail("bad math reading parent %s: %v", c2spTilePath(p), err)
			}
			if got := tlog.NodeHash(left, right); got != want {
				return 0, fail("tile %s hashes to %s but parent %s has %s", c2spTilePath(t), got, c2spTilePath(p), want)
			}
		}
	}
	return count, nil
}

// readBundle reads and strictly parses entry bundle n, which must hold
// exactly w entries, each a 2-byte big-endian length plus data.
func readBundle(dir string, n int64, w int) ([][]byte, error) {
	p := c2spTilePath(tlog.Tile{H: tileHeight, L: -1, N: n, W: w})
	d, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
	if err != nil {
		return nil, fail("entry bundle %s: %v", p, err)
	}
	entries := make([][]byte, 0, w)
	off := 0
	for off < len(d) {
		if len(d)-off < 2 {
			return nil, fail("entry bundle %s: truncated length prefix at byte %d", p, off)
		}
		l := int(binary.BigEndian.Uint16(d[off:]))
		off += 2
		if len(d)-off < l {
			return nil, fail("entry bundle %s: entry %d claims %d bytes, only %d left", p, len(entries), l, len(d)-off)
		}
		entries = append(entries, d[off:off+l])
		off += l
	}
	if len(entries) != w {
		return nil, fail("entry bundle %s: holds %d entries, want %d", p, len(entries), w)
	}
	return entries, nil
}

// proofIndexes picks which record indexes get a record proof: all of
// them for small trees, otherwise a deterministic sample including the
// edges and tile boundaries.
func proofIndexes(size int64) []int64 {
	if size <= proofAllLimit {
		idx := make([]int64, size)
		for i := range idx {
			idx[i] = int64(i)
		}
		return idx
	}
	set := make(map[int64]bool)
	for _, i := range []int64{0, 1, tileWidth - 1, tileWidth, tileWidth + 1,
		tileWidth*tileWidth - 1, tileWidth * tileWidth,
		size/2 - 1, size / 2, size - tileWidth - 1, size - tileWidth, size - 2, size - 1} {
		if i >= 0 && i < size {
			set[i] = true
		}
	}
	rng := rand.New(rand.NewSource(size))
	for len(set) < proofSample {
		set[rng.Int63n(size)] = true
	}
	idx := make([]int64, 0, len(set))
	for i := range set {
		idx = append(idx, i)
	}
	sort.Slice(idx, func(a, b int) bool { return idx[a] < idx[b] })
	return idx
}

func checkTiles(dir, vkey string) (string, error) {
	v, err := newVerifier(vkey)
	if err != nil {
		return "", err
	}
	cp, err := readCheckpoint(filepath.Join(dir, "checkpoint"), v)
	if err != nil {
		return "", err
	}
	okLine := fmt.Sprintf("ok tiles size=%d origin=%s", cp.size, cp.origin)
	if cp.size == 0 {
		if cp.root != emptyRoot {
			return "", fail("size 0 checkpoint root %s, want SHA-256(\"\") %s", cp.root, emptyRoot)
		}
		return okLine, nil
	}

	// 1. Authenticate every hash tile ourselves (see dirTiles comment).
	tiles := newDirTiles(dir, cp.size)
	if _, err := authenticateTiles(tiles, cp.root); err != nil {
		return "", err
	}

	// 2. tlog's own tile-verifying reader must agree on the root.
	tree := tlog.Tree{N: cp.size, Hash: cp.root}
	hr := tlog.TileHashReader(tree, tiles)
	th, err := tlog.TreeHash(cp.size, hr)
	if err != nil {
		return "", fail("tlog.TileHashReader tree hash: %v", err)
	}
	if th != cp.root {
		return "", fail("tlog.TileHashReader tree hash %s != checkpoint root %s", th, cp.root)
	}

	// 3. Every entry must hash to its level-0 hash, as read both from the
	// authenticated tiles and through tlog.TileHashReader.
	want := proofIndexes(cp.size)
	wantSet := make(map[int64]bool, len(want))
	for _, i := range want {
		wantSet[i] = true
	}
	leafHash := make(map[int64]tlog.Hash, len(want))
	nBundles := (cp.size + tileWidth - 1) / tileWidth
	for b := int64(0); b < nBundles; b++ {
		w := int64(tileWidth)
		if rem := cp.size - b*tileWidth; rem < w {
			w = rem
		}
		entries, err := readBundle(dir, b, int(w))
		if err != nil {
			return "", err
		}
		idx := make([]int64, w)
		for j := range idx {
			idx[j] = tlog.StoredHashIndex(0, b*tileWidth+int64(j))
		}
		authHashes, err := tiles.ReadHashes(idx)
		if err != nil {
			return "", fail("reading level-0 hashes for bundle %d: %v", b, err)
		}
		tlogHashes, err := hr.ReadHashes(idx)
		if err != nil {
			return "", fail("tlog.TileHashReader level-0 hashes for bundle %d: %v", b, err)
		}
		if len(authHashes) != len(idx) || len(tlogHashes) != len(idx) {
			return "", fail("hash readers returned %d/%d hashes, want %d", len(authHashes), len(tlogHashes), len(idx))
		}
		for j, e := range entries {
			i := b*tileWidth + int64(j)
			rh := tlog.RecordHash(e)
			if rh != authHashes[j] {
				return "", fail("entry %d: RecordHash %s != tile leaf hash %s", i, rh, authHashes[j])
			}
			if rh != tlogHashes[j] {
				return "", fail("entry %d: RecordHash %s != tlog.TileHashReader leaf hash %s", i, rh, tlogHashes[j])
			}
			if wantSet[i] {
				leafHash[i] = rh
			}
		}
	}

	// 4. Record (inclusion) proofs built by tlog from the tiles, through
	// both readers, and checked by tlog against the checkpoint root.
	for _, i := range want {
		for _, r := range []struct {
			name string
			hr   tlog.HashReader
		}{{"tiles", tiles}, {"tlog.TileHashReader", hr}} {
			p, err := tlog.ProveRecord(cp.size, i, r.hr)
			if err != nil {
				return "", fail("ProveRecord(%d, %d) via %s: %v", cp.size, i, r.name, err)
			}
			if err := tlog.CheckRecord(p, cp.size, cp.root, i, leafHash[i]); err != nil {
				return "", fail("CheckRecord(index %d, size %d) via %s: %v", i, cp.size, r.name, err)
			}
		}
	}
	return okLine, nil
}

// ---------------------------------------------------------------------
// Proof JSON files.

func readJSON(path string, v interface{}) error {
	d, err := os.ReadFile(path)
	if err != nil {
		return fail("reading %s: %v", path, err)
	}
	dec := json.NewDecoder(bytes.NewReader(d))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return fail("parsing %s: %v", path, err)
	}
	if dec.More() {
		return fail("parsing %s: trailing data after JSON object", path)
	}
	return nil
}

// jsonInt converts a required JSON number field to a non-negative int64.
func jsonInt(field string, n *json.Number) (int64, error) {
	if n == nil {
		return 0, fail("proof JSON: missing %q", field)
	}
	i, err := parseSize("proof JSON "+field, n.String())
	if err != nil {
		return 0, err
	}
	return i, nil
}

func jsonHash(field string, s *string) (tlog.Hash, error) {
	if s == nil {
		return tlog.Hash{}, fail("proof JSON: missing %q", field)
	}
	return decodeHash("proof JSON "+field, *s)
}

func jsonProof(p *[]string) ([]tlog.Hash, error) {
	if p == nil {
		return nil, fail("proof JSON: missing \"proof\"")
	}
	out := make([]tlog.Hash, len(*p))
	for i, s := range *p {
		h, err := decodeHash(fmt.Sprintf("proof JSON proof[%d]", i), s)
		if err != nil {
			return nil, err
		}
		out[i] = h
	}
	return out, nil
}

type inclusionJSON struct {
	Index    *json.Number `json:"index"`
	Size     *json.Number `json:"size"`
	LeafHash *string      `json:"leaf_hash"`
	Proof    *[]string    `json:"proof"`
	Root     *string      `json:"root"`
}

func checkInclusion(cpPath, vkey, proofPath, entryPath string) (string, error) {
	v, err := newVerifier(vkey)
	if err != nil {
		return "", err
	}
	cp, err := readCheckpoint(cpPath, v)
	if err != nil {
		return "", err
	}
	var pj inclusionJSON
	if err := readJSON(proofPath, &pj); err != nil {
		return "", err
	}
	index, err := jsonInt("index", pj.Index)
	if err != nil {
		return "", err
	}
	size, err := jsonInt("size", pj.Size)
	if err != nil {
		return "", err
	}
	leaf, err := jsonHash("leaf_hash", pj.LeafHash)
	if err != nil {
		return "", err
	}
	root, err := jsonHash("root", pj.Root)
	if err != nil {
		return "", err
	}
	proof, err := jsonProof(pj.Proof)
	if err != nil {
		return "", err
	}
	entry, err := os.ReadFile(entryPath)
	if err != nil {
		return "", fail("reading entry: %v", err)
	}

	if size != cp.size {
		return "", fail("proof size %d != checkpoint size %d", size, cp.size)
	}
	if root != cp.root {
		return "", fail("proof root %s != checkpoint root %s", root, cp.root)
	}
	if index >= size {
		return "", fail("index %d out of range for size %d", index, size)
	}
	if rh := tlog.RecordHash(entry); rh != leaf {
		return "", fail("RecordHash(entry) %s != leaf_hash %s", rh, leaf)
	}
	if err := tlog.CheckRecord(tlog.RecordProof(proof), size, root, index, leaf); err != nil {
		return "", fail("CheckRecord(index %d, size %d, %d hashes): %v", index, size, len(proof), err)
	}
	return "ok inclusion", nil
}

type consistencyJSON struct {
	Old     *json.Number `json:"old"`
	New     *json.Number `json:"new"`
	Proof   *[]string    `json:"proof"`
	OldRoot *string      `json:"old_root"`
	NewRoot *string      `json:"new_root"`
}

func checkConsistency(oldPath, newPath, vkey, proofPath string) (string, error) {
	v, err := newVerifier(vkey)
	if err != nil {
		return "", err
	}
	oldCp, err := readCheckpoint(oldPath, v)
	if err != nil {
		return "", err
	}
	newCp, err := readCheckpoint(newPath, v)
	if err != nil {
		return "", err
	}
	if oldCp.origin != newCp.origin {
		return "", fail("checkpoint origins differ: %q vs %q", oldCp.origin, newCp.origin)
	}
	var pj consistencyJSON
	if err := readJSON(proofPath, &pj); err != nil {
		return "", err
	}
	oldN, err := jsonInt("old", pj.Old)
	if err != nil {
		return "", err
	}
	newN, err := jsonInt("new", pj.New)
	if err != nil {
		return "", err
	}
	oldRoot, err := jsonHash("old_root", pj.OldRoot)
	if err != nil {
		return "", err
	}
	newRoot, err := jsonHash("new_root", pj.NewRoot)
	if err != nil {
		return "", err
	}
	proof, err := jsonProof(pj.Proof)
	if err != nil {
		return "", err
	}

	if oldN != oldCp.size || oldRoot != oldCp.root {
		return "", fail("proof old (%d, %s) != old checkpoint (%d, %s)", oldN, oldRoot, oldCp.size, oldCp.root)
	}
	if newN != newCp.size || newRoot != newCp.root {
		return "", fail("proof new (%d, %s) != new checkpoint (%d, %s)", newN, newRoot, newCp.size, newCp.root)
	}
	if oldN > newN {
		return "", fail("old size %d > new size %d", oldN, newN)
	}
	if oldN == 0 {
		// RFC 9162 defines consistency proofs only for 0 < old <= new,
		// and tlog.CheckTree rejects old == 0.
		return "", fail("consistency proof from size 0 is undefined (RFC 9162 requires 0 < old)")
	}
	if err := tlog.CheckTree(tlog.TreeProof(proof), newN, newRoot, oldN, oldRoot); err != nil {
		return "", fail("CheckTree(old %d, new %d, %d hashes): %v", oldN, newN, len(proof), err)
	}
	return "ok consistency", nil
}

package policysource

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// maxFetches is how many distinct fetches of one URL the cache keeps (the
// newest is the fallback; older ones name what a live document matches).
const maxFetches = 10

// Cache keeps what was fetched, per URL: under Dir/policy-sources/<hash of
// the URL>/, an index.json listing the fetches (newest last) with each
// document's SHA-256, and each document as <sha256>.json. Directories are
// 0700 and files 0600; files are replaced atomically, and a document whose
// bytes no longer match its SHA-256 is ignored.
type Cache struct{ Dir string }

// DefaultCache is the cache under os.UserCacheDir()/rciam
// ($XDG_CACHE_HOME/rciam on Linux), or nil when the system has no cache
// directory.
func DefaultCache() *Cache {
	dir, err := os.UserCacheDir()
	if err != nil {
		return nil
	}
	return &Cache{Dir: filepath.Join(dir, "rciam")}
}

type cacheIndex struct {
	URL     string       `json:"url"`
	Fetches []cacheFetch `json:"fetches"`
}

type cacheFetch struct {
	Fetched  time.Time `json:"fetched"`
	Instance string    `json:"instanceSha256"`
	User     string    `json:"userSha256"`
}

func (c *Cache) root() string { return filepath.Join(c.Dir, "policy-sources") }

func (c *Cache) dirFor(url string) string {
	sum := sha256.Sum256([]byte(url))
	return filepath.Join(c.root(), hex.EncodeToString(sum[:12]))
}

// Store records a successful fetch of url at time now.
func (c *Cache) Store(url string, sel Selection, now time.Time) error {
	dir := c.dirFor(url)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("cache policy documents: %w", err)
	}
	for _, d := range []Document{sel.Instance, sel.User} {
		if err := writeAtomic(filepath.Join(dir, d.SHA256()+".json"), d.Raw); err != nil {
			return err
		}
	}
	idx, _ := c.index(url)
	idx.URL = url
	f := cacheFetch{Fetched: now.UTC().Truncate(time.Second), Instance: sel.Instance.SHA256(), User: sel.User.SHA256()}
	kept := idx.Fetches[:0]
	for _, old := range idx.Fetches {
		if old.Instance != f.Instance || old.User != f.User {
			kept = append(kept, old)
		}
	}
	idx.Fetches = append(kept, f)
	if len(idx.Fetches) > maxFetches {
		idx.Fetches = idx.Fetches[len(idx.Fetches)-maxFetches:]
	}
	b, err := json.MarshalIndent(idx, "", "  ")
	if err != nil {
		return err
	}
	if err := writeAtomic(filepath.Join(dir, "index.json"), b); err != nil {
		return err
	}
	c.prune(dir, idx)
	return nil
}

// Latest returns the newest intact fetch of url and when it was made.
func (c *Cache) Latest(url string) (Selection, time.Time, bool) {
	idx, err := c.index(url)
	if err != nil {
		return Selection{}, time.Time{}, false
	}
	for i := len(idx.Fetches) - 1; i >= 0; i-- {
		if k, ok := c.load(url, idx.Fetches[i]); ok {
			return Selection{Source: url, Instance: k.Instance, User: k.User}, idx.Fetches[i].Fetched, true
		}
	}
	return Selection{}, time.Time{}, false
}

// Known lists every intact fetch of every cached URL.
func (c *Cache) Known() []Known {
	entries, err := os.ReadDir(c.root())
	if err != nil {
		return nil
	}
	var out []Known
	for _, e := range entries {
		idx, err := readIndex(filepath.Join(c.root(), e.Name(), "index.json"))
		if err != nil || c.dirFor(idx.URL) != filepath.Join(c.root(), e.Name()) {
			continue
		}
		for _, f := range idx.Fetches {
			if k, ok := c.load(idx.URL, f); ok {
				out = append(out, k)
			}
		}
	}
	return out
}

func (c *Cache) index(url string) (cacheIndex, error) {
	return readIndex(filepath.Join(c.dirFor(url), "index.json"))
}

func readIndex(path string) (cacheIndex, error) {
	var idx cacheIndex
	b, err := os.ReadFile(path)
	if err != nil {
		return idx, err
	}
	err = json.Unmarshal(b, &idx)
	return idx, err
}

func (c *Cache) load(url string, f cacheFetch) (Known, bool) {
	dir := c.dirFor(url)
	read := func(sha, name string) (Document, bool) {
		b, err := os.ReadFile(filepath.Join(dir, sha+".json"))
		d := Document{File: url + name + " (cached)", Raw: b}
		return d, err == nil && d.SHA256() == sha
	}
	inst, ok1 := read(f.Instance, InstanceFile)
	user, ok2 := read(f.User, UserFile)
	name := url + " as fetched " + f.Fetched.UTC().Format("2006-01-02 15:04 UTC")
	return Known{Name: name, Instance: inst, User: user}, ok1 && ok2
}

// prune removes documents no fetch in idx refers to any more.
func (c *Cache) prune(dir string, idx cacheIndex) {
	keep := map[string]bool{"index.json": true}
	for _, f := range idx.Fetches {
		keep[f.Instance+".json"], keep[f.User+".json"] = true, true
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if !keep[e.Name()] && filepath.Ext(e.Name()) == ".json" {
			_ = os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// writeAtomic writes b to path with mode 0600 through a temporary file and
// a rename, so a reader never sees a partial file.
func writeAtomic(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return fmt.Errorf("cache policy documents: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("cache policy documents: %w", err)
	}
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

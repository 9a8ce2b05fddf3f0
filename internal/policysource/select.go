package policysource

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/rciam/rciam/internal/iampolicy"
)

// Request is what the user asked for: at most one of Version, URL and the
// file pair. The zero Request means the default source: EnvSource when
// set, else DefaultURL.
type Request struct {
	Version                string
	URL                    string
	InstanceFile, UserFile string
}

// Resolver turns a Request into a Selection: it reads files, picks bundled
// versions, and fetches URLs with the cache and fallback of docs/policy-sources.md.
type Resolver struct {
	Fetcher *Fetcher
	// Cache keeps fetched documents per URL; nil means no cache.
	Cache *Cache
	// Getenv reads EnvSource; nil means os.Getenv.
	Getenv func(string) string
	// Now stamps cache entries; nil means time.Now.
	Now func() time.Time
}

// Select returns the documents req asks for, with Known filled in. A
// failed fetch is not an error: the Selection then comes from the cache
// for that URL, else bundled DefaultVersion, and its Note says which and
// why. Errors are bad input (unknown version, unreadable file, malformed
// URL) or ctx ending.
func (r *Resolver) Select(ctx context.Context, req Request) (Selection, error) {
	sel, err := r.choose(ctx, req)
	if err != nil {
		return sel, err
	}
	sel.Known = BundledKnown()
	if r.Cache != nil {
		sel.Known = append(sel.Known, r.Cache.Known()...)
	}
	return sel, nil
}

func (r *Resolver) choose(ctx context.Context, req Request) (Selection, error) {
	switch {
	case req.InstanceFile != "" || req.UserFile != "":
		return Files(req.InstanceFile, req.UserFile)
	case req.Version != "":
		return Bundled(req.Version)
	case req.URL != "":
		u, err := NormalizeURL(req.URL)
		if err != nil {
			return Selection{}, fmt.Errorf("--policy-source: %w", err)
		}
		return r.fetch(ctx, u)
	}
	getenv := r.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	env := strings.TrimSpace(getenv(EnvSource))
	switch {
	case env == "":
		return r.fetch(ctx, DefaultURL)
	case strings.Contains(env, "://"):
		u, err := NormalizeURL(env)
		if err != nil {
			return Selection{}, fmt.Errorf("%s: %w", EnvSource, err)
		}
		return r.fetch(ctx, u)
	}
	sel, err := Bundled(env)
	if err != nil {
		return sel, fmt.Errorf("%s: %w, or a base URL", EnvSource, err)
	}
	return sel, nil
}

// fetch gets url's documents; on failure it falls back to the newest
// cached copy for url, else to bundled DefaultVersion.
func (r *Resolver) fetch(ctx context.Context, url string) (Selection, error) {
	f := r.Fetcher
	if f == nil {
		f = &Fetcher{}
	}
	sel, err := f.Fetch(ctx, url)
	if err == nil {
		if r.Cache != nil && cacheable(sel) {
			now := time.Now
			if r.Now != nil {
				now = r.Now
			}
			// A cache that cannot be written costs only the fallback.
			_ = r.Cache.Store(url, sel, now())
		}
		return sel, nil
	}
	if ctx.Err() != nil {
		return Selection{}, ctx.Err()
	}
	reason := strings.ReplaceAll(err.Error(), "\n", " ")
	if r.Cache != nil {
		if cached, when, ok := r.Cache.Latest(url); ok {
			stamp := when.UTC().Format("2006-01-02 15:04 UTC")
			cached.Source = url + " (cached " + stamp + ")"
			cached.Note = fmt.Sprintf("policy source %s could not be fetched (%s): using the copy cached %s", url, reason, stamp)
			return cached, nil
		}
	}
	b, err := Bundled(DefaultVersion)
	if err != nil {
		return b, err
	}
	b.Note = fmt.Sprintf("policy source %s could not be fetched (%s) and no copy is cached: using bundled %s", url, reason, DefaultVersion)
	return b, nil
}

// cacheable: only documents IAM would accept are cached, so a portal page
// or a broken upload served once never becomes the fallback.
func cacheable(sel Selection) bool {
	for _, d := range []Document{sel.Instance, sel.User} {
		if _, err := iampolicy.Validate(ReplacePlaceholder(d.Raw, "123456789012"), iampolicy.ManagedPolicy); err != nil {
			return false
		}
	}
	return true
}

package policysource

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// FetchBudget bounds a whole fetch (both documents): docs/policy-sources.md gives a fetch
// 10 s and no retry with backoff.
const FetchBudget = 10 * time.Second

// maxDocument bounds a fetched document; IAM's largest managed policy is
// 6,144 characters without whitespace, so anything near this is not a
// policy document.
const maxDocument = 1 << 20

// Fetcher fetches the two documents from a base URL.
type Fetcher struct {
	// Client makes the requests; nil means a client whose transport
	// honours HTTP_PROXY, HTTPS_PROXY and NO_PROXY.
	Client *http.Client
	// Budget bounds the fetch; zero means FetchBudget.
	Budget time.Duration
}

// NormalizeURL checks a --policy-source value and returns it with exactly
// one trailing slash, the form files are joined to and the cache is keyed
// by.
func NormalizeURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("invalid policy source %q: give an http:// or https:// base URL holding %s and %s", raw, InstanceFile, UserFile)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("invalid policy source %q: give a base URL without query or fragment", raw)
	}
	return strings.TrimRight(raw, "/") + "/", nil
}

// Fetch gets both documents from base (normalized) concurrently, one
// attempt each within the budget. Any failure — no answer, a status other
// than 200, an oversized body — fails the whole fetch.
func (f *Fetcher) Fetch(ctx context.Context, base string) (Selection, error) {
	budget := f.Budget
	if budget <= 0 {
		budget = FetchBudget
	}
	ctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	client := f.Client
	if client == nil {
		client = defaultClient()
	}
	files := []string{InstanceFile, UserFile}
	docs := make([]Document, len(files))
	errs := make([]error, len(files))
	var wg sync.WaitGroup
	for i, name := range files {
		wg.Add(1)
		go func() {
			defer wg.Done()
			docs[i], errs[i] = get(ctx, client, base+name)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			if ctx.Err() == context.DeadlineExceeded && errors.Is(err, context.DeadlineExceeded) {
				return Selection{}, fmt.Errorf("no answer within %s", budget)
			}
			return Selection{}, err
		}
	}
	return Selection{Source: base, Instance: docs[0], User: docs[1]}, nil
}

func get(ctx context.Context, client *http.Client, u string) (Document, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return Document{}, err
	}
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return Document{}, fmt.Errorf("get %s: %w", u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return Document{}, fmt.Errorf("get %s: HTTP %s", u, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDocument+1))
	if err != nil {
		return Document{}, fmt.Errorf("get %s: %w", u, err)
	}
	if len(body) > maxDocument {
		return Document{}, fmt.Errorf("get %s: larger than %d bytes, not a policy document", u, maxDocument)
	}
	return Document{File: u, Raw: body}, nil
}

// defaultClient's transport is the standard one: it honours HTTP_PROXY,
// HTTPS_PROXY and NO_PROXY (http.ProxyFromEnvironment). The budget is set
// per fetch through the context.
func defaultClient() *http.Client {
	return &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
}

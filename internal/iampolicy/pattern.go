package iampolicy

import (
	"strings"
	"unicode/utf8"
)

// A pattern is a precompiled string matcher: literal text, the wildcards *
// and ? (where the element allows them), and policy variables resolved from
// the request context at match time. Matching never allocates.
//
// [Policy variables]: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html
type pattern struct {
	toks []tok
	// fast is how a pattern without variables is matched; fastGeneral
	// walks toks.
	fast     fastKind
	lit, end string
}

type tokKind uint8

const (
	tLit  tokKind = iota // literal text
	tStar                // * : any run of characters
	tOne                 // ? : exactly one character
	tVar                 // ${key} or ${key, 'default'}
)

type tok struct {
	kind   tokKind
	text   string // tLit: the text; tVar: the key as written
	lkey   string // tVar: the key lowercased
	def    string // tVar: default value
	hasDef bool
}

type fastKind uint8

const (
	fastGeneral  fastKind = iota
	fastExact             // s == lit
	fastAny               // anything
	fastPrefix            // lit*
	fastSuffix            // *lit
	fastContains          // *lit*
	fastAffix             // lit*end
)

// compilePattern reads s. With wild, * and ? are wildcards; with vars,
// ${...} is a policy variable and ${*}, ${?}, ${$} stand for the literal
// characters.
func compilePattern(s string, wild, vars bool) pattern {
	var toks []tok
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			toks = append(toks, tok{kind: tLit, text: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case vars && c == '$' && strings.HasPrefix(s[i:], "${"):
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				lit.WriteString(s[i:])
				i = len(s)
				continue
			}
			inner := s[i+2 : i+end]
			if t, ok := parseVariable(inner); ok {
				flush()
				toks = append(toks, t)
			} else if inner == "*" || inner == "?" || inner == "$" {
				lit.WriteString(inner)
			} else {
				lit.WriteString(s[i : i+end+1])
			}
			i += end + 1
			continue
		case wild && c == '*':
			flush()
			if len(toks) == 0 || toks[len(toks)-1].kind != tStar {
				toks = append(toks, tok{kind: tStar})
			}
		case wild && c == '?':
			flush()
			toks = append(toks, tok{kind: tOne})
		default:
			lit.WriteByte(c)
		}
		i++
	}
	flush()
	p := pattern{toks: toks}
	p.fast, p.lit, p.end = classify(toks)
	return p
}

// parseVariable reads the inside of ${...}: a context key, optionally
// followed by a comma and a single-quoted default value.
func parseVariable(inner string) (tok, bool) {
	key, def, hasDef := strings.Cut(inner, ",")
	key = strings.TrimSpace(key)
	if key == "" || key == "*" || key == "?" || key == "$" || strings.ContainsAny(key, " '${") {
		return tok{}, false
	}
	t := tok{kind: tVar, text: key, lkey: strings.ToLower(key)}
	if hasDef {
		def = strings.TrimSpace(def)
		if len(def) < 2 || def[0] != '\'' || def[len(def)-1] != '\'' {
			return tok{}, false
		}
		t.def, t.hasDef = def[1:len(def)-1], true
	}
	return t, true
}

func classify(toks []tok) (fastKind, string, string) {
	kinds := make([]tokKind, len(toks))
	for i, t := range toks {
		if t.kind == tVar || t.kind == tOne {
			return fastGeneral, "", ""
		}
		kinds[i] = t.kind
	}
	switch {
	case len(toks) == 0:
		return fastExact, "", ""
	case len(toks) == 1 && kinds[0] == tLit:
		return fastExact, toks[0].text, ""
	case len(toks) == 1:
		return fastAny, "", ""
	case len(toks) == 2 && kinds[0] == tLit:
		return fastPrefix, toks[0].text, ""
	case len(toks) == 2:
		return fastSuffix, toks[1].text, ""
	case len(toks) == 3 && kinds[0] == tStar:
		return fastContains, toks[1].text, ""
	case len(toks) == 3:
		return fastAffix, toks[0].text, toks[2].text
	}
	return fastGeneral, "", ""
}

// match reports whether s matches p. With fold, letters compare without
// regard to case. Unresolvable variables match nothing.
func (p *pattern) match(s string, fold bool, r resolver) bool {
	if !fold {
		switch p.fast {
		case fastExact:
			return s == p.lit
		case fastAny:
			return true
		case fastPrefix:
			return strings.HasPrefix(s, p.lit)
		case fastSuffix:
			return strings.HasSuffix(s, p.lit)
		case fastContains:
			return strings.Contains(s, p.lit)
		case fastAffix:
			return len(s) >= len(p.lit)+len(p.end) && strings.HasPrefix(s, p.lit) && strings.HasSuffix(s, p.end)
		case fastGeneral:
		}
	}
	return p.matchTokens(s, fold, r)
}

// matchTokens is wildcard matching with one backtrack point (the last *
// seen), linear in practice and never exponential.
func (p *pattern) matchTokens(s string, fold bool, r resolver) bool {
	ti, si := 0, 0
	starTi, starSi := -1, 0
	for {
		if ti < len(p.toks) {
			t := &p.toks[ti]
			switch t.kind {
			case tStar:
				starTi, starSi = ti, si
				ti++
				continue
			case tOne:
				if si < len(s) {
					_, size := utf8.DecodeRuneInString(s[si:])
					si += size
					ti++
					continue
				}
			case tLit, tVar:
				text := t.text
				if t.kind == tVar {
					v, ok := r.resolve(t)
					if !ok {
						return false
					}
					text = v
				}
				if hasPrefix(s[si:], text, fold) {
					si += len(text)
					ti++
					continue
				}
			}
		} else if si == len(s) {
			return true
		}
		if starTi < 0 || starSi >= len(s) {
			return false
		}
		_, size := utf8.DecodeRuneInString(s[starSi:])
		starSi += size
		ti, si = starTi+1, starSi
	}
}

func hasPrefix(s, prefix string, fold bool) bool {
	if len(s) < len(prefix) {
		return false
	}
	if fold {
		return strings.EqualFold(s[:len(prefix)], prefix)
	}
	return s[:len(prefix)] == prefix
}

// resolver looks up policy variables and condition keys in a request
// context whose key names may be written in any case.
type resolver struct {
	ctx map[string][]string
}

// lookup returns the values of a context key; raw is the key as the policy
// writes it and lower its lowercase form, tried before a scan.
func (r resolver) lookup(raw, lower string) []string {
	if len(r.ctx) == 0 {
		return nil
	}
	if v, ok := r.ctx[raw]; ok {
		return v
	}
	if v, ok := r.ctx[lower]; ok {
		return v
	}
	for k, v := range r.ctx {
		if strings.EqualFold(k, raw) {
			return v
		}
	}
	return nil
}

// resolve gives a variable's value: the key's single value, else its
// default. A missing or multivalued key without default does not resolve.
func (r resolver) resolve(t *tok) (string, bool) {
	if v := r.lookup(t.text, t.lkey); len(v) == 1 {
		return v[0], true
	}
	if t.hasDef {
		return t.def, true
	}
	return "", false
}

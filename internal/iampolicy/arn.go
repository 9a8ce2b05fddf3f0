package iampolicy

import "strings"

// arnPattern matches ARNs component by component: each of the six
// colon-separated parts (the last one takes the rest, colons included) is
// its own pattern, so a wildcard never spans a colon in the first five.
// "*" alone matches anything, ARN or not. A pattern that is not an ARN is
// matched as a whole string.
//
// [Resource element]: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
// [ARN operators]: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN
type arnPattern struct {
	any   bool
	arn   bool       // parts is used; else whole
	parts [5]pattern // partition, service, region, account, resource
	whole pattern
}

func compileARN(s string, vars bool) arnPattern {
	p := compilePattern(s, true, vars)
	if p.fast == fastAny {
		return arnPattern{any: true}
	}
	comps := splitTokens(p.toks)
	if len(comps) < 6 {
		return arnPattern{whole: p}
	}
	first, ok := literalOf(comps[0])
	if !ok || first != "arn" {
		return arnPattern{whole: p}
	}
	ap := arnPattern{arn: true}
	for i := 1; i < 6; i++ {
		pp := pattern{toks: comps[i]}
		pp.fast, pp.lit, pp.end = classify(comps[i])
		ap.parts[i-1] = pp
	}
	return ap
}

// splitTokens splits a token list at the colons of its literal tokens, at
// most five times; variables are never split.
func splitTokens(toks []tok) [][]tok {
	comps := [][]tok{nil}
	for _, t := range toks {
		if t.kind != tLit || len(comps) == 6 {
			comps[len(comps)-1] = append(comps[len(comps)-1], t)
			continue
		}
		text := t.text
		for len(comps) < 6 {
			i := strings.IndexByte(text, ':')
			if i < 0 {
				break
			}
			if i > 0 {
				comps[len(comps)-1] = append(comps[len(comps)-1], tok{kind: tLit, text: text[:i]})
			}
			comps = append(comps, nil)
			text = text[i+1:]
		}
		if text != "" {
			comps[len(comps)-1] = append(comps[len(comps)-1], tok{kind: tLit, text: text})
		}
	}
	return comps
}

func literalOf(toks []tok) (string, bool) {
	if len(toks) == 1 && toks[0].kind == tLit {
		return toks[0].text, true
	}
	return "", false
}

// match reports whether the ARN (or "*") s matches.
func (a *arnPattern) match(s string, r resolver) bool {
	if a.any {
		return true
	}
	if !a.arn {
		return a.whole.match(s, false, r)
	}
	var comps [6]string
	if !splitARN(s, &comps) || comps[0] != "arn" {
		return false
	}
	for i := 1; i < 6; i++ {
		if !a.parts[i-1].match(comps[i], false, r) {
			return false
		}
	}
	return true
}

// splitARN splits s at its first five colons without allocating.
func splitARN(s string, out *[6]string) bool {
	for i := 0; i < 5; i++ {
		j := strings.IndexByte(s, ':')
		if j < 0 {
			return false
		}
		out[i], s = s[:j], s[j+1:]
	}
	out[5] = s
	return true
}

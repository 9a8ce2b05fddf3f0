package iampolicy

import (
	"net/netip"
	"strings"
)

// cond is one compiled operator/key pair. Policy values are read once, at
// compile time, into the form the family compares: patterns for strings
// and ARNs, numbers, instants, networks, decoded bytes, booleans.
//
// Semantics, from [Condition operators], [Multiple keys or values] and
// [Set operators]:
//   - several values for a key: OR; for a negated operator: NOR;
//   - a key absent from the request: false, or true for a negated
//     operator; true with IfExists; ForAnyValue false, ForAllValues true;
//   - Null "true" holds when the key is absent, "false" when present;
//   - a multivalued key without set operator: the operator holds when any
//     request value matches (a negated one, when none does).
//
// [Condition operators]: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
// [Multiple keys or values]: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-logic-multiple-context-keys-or-values.html
// [Set operators]: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
type cond struct {
	op      Operator
	family  Family
	cmp     compare
	negated bool
	key     string // as written
	lkey    string

	strs  []pattern
	arns  []arnPattern
	nums  []float64
	dates []instant
	nets  []netip.Prefix
	bins  []string
	bools []string // "true" / "false", lowercased
	nulls []bool   // true: the key must be absent
}

func compileCondition(c Condition, vars bool) cond {
	base := baseOps[c.Operator.base]
	cc := cond{op: c.Operator, family: base.family, cmp: base.cmp, negated: base.negated,
		key: c.Key, lkey: strings.ToLower(c.Key)}
	vars = vars && c.Operator.variablesAllowed()
	for _, v := range c.Values {
		switch base.family {
		case FamilyString:
			cc.strs = append(cc.strs, compilePattern(v, base.cmp == cmpLike, vars))
		case FamilyARN:
			cc.arns = append(cc.arns, compileARN(v, vars))
		case FamilyNumeric:
			if f, ok := parseNumber(v); ok {
				cc.nums = append(cc.nums, f)
			}
		case FamilyDate:
			if d, ok := parseDate(v); ok {
				cc.dates = append(cc.dates, d)
			}
		case FamilyIP:
			if n, ok := parseNet(v); ok {
				cc.nets = append(cc.nets, n)
			}
		case FamilyBinary:
			if b, ok := decodeBase64(v); ok {
				cc.bins = append(cc.bins, b)
			}
		case FamilyBool:
			cc.bools = append(cc.bools, strings.ToLower(v))
		case FamilyNull:
			switch strings.ToLower(v) {
			case "true":
				cc.nulls = append(cc.nulls, true)
			case "false":
				cc.nulls = append(cc.nulls, false)
			}
		}
	}
	return cc
}

// holds evaluates the condition against the request context.
func (c *cond) holds(r resolver) bool {
	vals := r.lookup(c.key, c.lkey)
	present := len(vals) > 0
	if c.family == FamilyNull {
		for _, wantAbsent := range c.nulls {
			if wantAbsent != present {
				return true
			}
		}
		return false
	}
	if !present {
		switch {
		case c.op.IfExists:
			return true
		case c.op.Set == ForAllValues:
			return true
		case c.op.Set == ForAnyValue:
			return false
		}
		return c.negated
	}
	switch c.op.Set {
	case ForAnyValue:
		for _, v := range vals {
			if c.matchAny(v, r) != c.negated {
				return true
			}
		}
		return false
	case ForAllValues:
		for _, v := range vals {
			if c.matchAny(v, r) == c.negated {
				return false
			}
		}
		return true
	case SetNone:
	}
	for _, v := range vals {
		if c.matchAny(v, r) {
			return !c.negated
		}
	}
	return c.negated
}

// matchAny reports whether request value v matches any policy value under
// the positive form of the operator.
func (c *cond) matchAny(v string, r resolver) bool {
	switch c.family {
	case FamilyString:
		fold := c.cmp == cmpEqualsFold
		for i := range c.strs {
			if c.strs[i].match(v, fold, r) {
				return true
			}
		}
	case FamilyARN:
		for i := range c.arns {
			if c.arns[i].match(v, r) {
				return true
			}
		}
	case FamilyNumeric:
		x, ok := parseNumber(v)
		if !ok {
			return false
		}
		for _, y := range c.nums {
			if ordered(c.cmp, cmpFloat(x, y)) {
				return true
			}
		}
	case FamilyDate:
		x, ok := parseDate(v)
		if !ok {
			return false
		}
		for _, y := range c.dates {
			if ordered(c.cmp, x.cmp(y)) {
				return true
			}
		}
	case FamilyIP:
		a, ok := parseAddr(v)
		if !ok {
			return false
		}
		for _, n := range c.nets {
			if n.Contains(a) {
				return true
			}
		}
	case FamilyBinary:
		b, ok := decodeBase64(v)
		if !ok {
			return false
		}
		for _, x := range c.bins {
			if x == b {
				return true
			}
		}
	case FamilyBool:
		for _, x := range c.bools {
			if strings.EqualFold(v, x) {
				return true
			}
		}
	case FamilyNull:
	}
	return false
}

func cmpFloat(x, y float64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// ordered reports whether a comparison result c (request vs policy value)
// satisfies the operator.
func ordered(op compare, c int) bool {
	switch op {
	case cmpEquals:
		return c == 0
	case cmpLess:
		return c < 0
	case cmpLessEq:
		return c <= 0
	case cmpGreater:
		return c > 0
	case cmpGreaterEq:
		return c >= 0
	case cmpEqualsFold, cmpLike, cmpInNet, cmpIsNull:
	}
	return false
}

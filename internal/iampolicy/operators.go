package iampolicy

import "strings"

// Family is a condition operator family: it decides how values are read
// (text, number, date, ...). It is a closed set.
//
// [Condition operators]: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
type Family uint8

// The condition operator families.
const (
	FamilyString Family = iota + 1
	FamilyNumeric
	FamilyDate
	FamilyBool
	FamilyBinary
	FamilyIP
	FamilyARN
	FamilyNull
)

// compare is what a base operator checks once values are read.
type compare uint8

const (
	cmpEquals compare = iota + 1
	cmpEqualsFold
	cmpLike
	cmpLess
	cmpLessEq
	cmpGreater
	cmpGreaterEq
	cmpInNet
	cmpIsNull
)

// baseOp is a condition operator without IfExists or a set prefix.
type baseOp struct {
	name    string
	family  Family
	cmp     compare
	negated bool // a "not" operator: true when no value matches
}

var baseOps = []baseOp{
	{"StringEquals", FamilyString, cmpEquals, false},
	{"StringNotEquals", FamilyString, cmpEquals, true},
	{"StringEqualsIgnoreCase", FamilyString, cmpEqualsFold, false},
	{"StringNotEqualsIgnoreCase", FamilyString, cmpEqualsFold, true},
	{"StringLike", FamilyString, cmpLike, false},
	{"StringNotLike", FamilyString, cmpLike, true},
	{"NumericEquals", FamilyNumeric, cmpEquals, false},
	{"NumericNotEquals", FamilyNumeric, cmpEquals, true},
	{"NumericLessThan", FamilyNumeric, cmpLess, false},
	{"NumericLessThanEquals", FamilyNumeric, cmpLessEq, false},
	{"NumericGreaterThan", FamilyNumeric, cmpGreater, false},
	{"NumericGreaterThanEquals", FamilyNumeric, cmpGreaterEq, false},
	{"DateEquals", FamilyDate, cmpEquals, false},
	{"DateNotEquals", FamilyDate, cmpEquals, true},
	{"DateLessThan", FamilyDate, cmpLess, false},
	{"DateLessThanEquals", FamilyDate, cmpLessEq, false},
	{"DateGreaterThan", FamilyDate, cmpGreater, false},
	{"DateGreaterThanEquals", FamilyDate, cmpGreaterEq, false},
	{"Bool", FamilyBool, cmpEquals, false},
	{"BinaryEquals", FamilyBinary, cmpEquals, false},
	{"IpAddress", FamilyIP, cmpInNet, false},
	{"NotIpAddress", FamilyIP, cmpInNet, true},
	{"ArnEquals", FamilyARN, cmpLike, false},
	{"ArnLike", FamilyARN, cmpLike, false},
	{"ArnNotEquals", FamilyARN, cmpLike, true},
	{"ArnNotLike", FamilyARN, cmpLike, true},
	{"Null", FamilyNull, cmpIsNull, false},
}

// baseOpByLower finds a base operator by its lowercased name.
var baseOpByLower = func() map[string]uint8 {
	m := make(map[string]uint8, len(baseOps))
	for i, op := range baseOps {
		m[strings.ToLower(op.name)] = uint8(i)
	}
	return m
}()

// SetOperator is the optional ForAnyValue:/ForAllValues: prefix for
// multivalued context keys.
//
// [Set operators]: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
type SetOperator uint8

// The set operators; SetNone is a plain (single-valued) operator.
const (
	SetNone SetOperator = iota
	ForAnyValue
	ForAllValues
)

// Operator is a full condition operator such as
// "ForAnyValue:StringLikeIfExists".
type Operator struct {
	base     uint8 // index into baseOps
	IfExists bool
	Set      SetOperator
}

// Family returns the operator's family.
func (o Operator) Family() Family { return baseOps[o.base].family }

// Negated reports whether o is a "not" operator (StringNotEquals,
// NotIpAddress, ArnNotLike...), which holds when no policy value matches.
func (o Operator) Negated() bool { return baseOps[o.base].negated }

// String returns the canonical spelling of the operator.
func (o Operator) String() string {
	var b strings.Builder
	switch o.Set {
	case ForAnyValue:
		b.WriteString("ForAnyValue:")
	case ForAllValues:
		b.WriteString("ForAllValues:")
	case SetNone:
	}
	b.WriteString(baseOps[o.base].name)
	if o.IfExists {
		b.WriteString("IfExists")
	}
	return b.String()
}

// ParseOperator reads a condition operator name. Names are matched without
// regard to case and printed in canonical spelling; Null takes no IfExists.
func ParseOperator(name string) (Operator, bool) {
	var op Operator
	s := strings.ToLower(name)
	if rest, ok := strings.CutPrefix(s, "foranyvalue:"); ok {
		op.Set, s = ForAnyValue, rest
	} else if rest, ok := strings.CutPrefix(s, "forallvalues:"); ok {
		op.Set, s = ForAllValues, rest
	}
	if i, ok := baseOpByLower[s]; ok {
		op.base = i
		return op, true
	}
	if rest, ok := strings.CutSuffix(s, "ifexists"); ok {
		if i, ok := baseOpByLower[rest]; ok && baseOps[i].family != FamilyNull {
			op.base, op.IfExists = i, true
			return op, true
		}
	}
	return Operator{}, false
}

// variablesAllowed reports whether policy variables are substituted in the
// values of o (string and ARN operators only).
func (o Operator) variablesAllowed() bool {
	switch o.Family() {
	case FamilyString, FamilyARN:
		return true
	case FamilyNumeric, FamilyDate, FamilyBool, FamilyBinary, FamilyIP, FamilyNull:
		return false
	}
	return false
}

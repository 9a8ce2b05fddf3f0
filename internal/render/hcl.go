package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// hclString quotes s as an HCL string literal. HCL quoted strings are
// templates: "${" and "%{" start interpolations, so they are escaped as
// "$${" and "%%{" (docs/render.md: "${aws:username}" must reach IAM as
// written).
func hclString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\t':
			b.WriteString(`\t`)
		case c < 0x20:
			fmt.Fprintf(&b, `\u%04x`, c)
		case (c == '$' || c == '%') && i+1 < len(s) && s[i+1] == '{':
			b.WriteByte(c)
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

var hclIdent = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

// hclKey writes an object key: bare when it is an identifier (as
// `terraform fmt` leaves them), quoted otherwise ("aws:username").
func hclKey(k string) string {
	switch {
	case k == "null" || k == "true" || k == "false" || !hclIdent.MatchString(k):
		return hclString(k)
	}
	return k
}

// hclJSON converts a JSON document into an HCL expression that
// jsonencode() turns back into an equal document, keeping the document's
// key order. indent is the depth of the line the expression starts on.
func hclJSON(doc []byte, indent int) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var b strings.Builder
	if err := hclValue(dec, &b, indent); err != nil {
		return "", fmt.Errorf("policy document is not JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return "", fmt.Errorf("policy document is not JSON: data after the document")
	}
	return b.String(), nil
}

func hclValue(dec *json.Decoder, b *strings.Builder, indent int) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	pad := strings.Repeat("  ", indent)
	switch t := tok.(type) {
	case json.Delim:
		if t == '{' {
			return hclObject(dec, b, indent, pad)
		}
		return hclTuple(dec, b, indent, pad)
	case string:
		b.WriteString(hclString(t))
	case json.Number:
		b.WriteString(t.String())
	case bool:
		fmt.Fprint(b, t)
	case nil:
		b.WriteString("null")
	}
	return nil
}

func hclObject(dec *json.Decoder, b *strings.Builder, indent int, pad string) error {
	if !dec.More() {
		_, err := dec.Token()
		b.WriteString("{}")
		return err
	}
	b.WriteString("{\n")
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		b.WriteString(pad + "  " + hclKey(tok.(string)) + " = ")
		if err := hclValue(dec, b, indent+1); err != nil {
			return err
		}
		b.WriteByte('\n')
	}
	_, err := dec.Token()
	b.WriteString(pad + "}")
	return err
}

// hclTuple writes a list; a list of one scalar stays on one line.
func hclTuple(dec *json.Decoder, b *strings.Builder, indent int, pad string) error {
	var items []string
	multiline := false
	for dec.More() {
		var item strings.Builder
		if err := hclValue(dec, &item, indent+1); err != nil {
			return err
		}
		s := item.String()
		multiline = multiline || strings.Contains(s, "\n")
		items = append(items, s)
	}
	if _, err := dec.Token(); err != nil {
		return err
	}
	if len(items) <= 1 && !multiline {
		b.WriteString("[" + strings.Join(items, "") + "]")
		return nil
	}
	b.WriteString("[\n")
	for _, it := range items {
		b.WriteString(pad + "  " + it + ",\n")
	}
	b.WriteString(pad + "]")
	return nil
}

// alignHCL aligns the "=" of consecutive single-line attributes as
// `terraform fmt` does: a run of lines "lead = expression" whose expression
// is complete on the line is padded to one column; any other line (a
// blank, a brace, an attribute opening a multi-line value) ends the run.
func alignHCL(text string) string {
	lines := strings.Split(text, "\n")
	eq := make([]int, len(lines)) // index of the assignment's "=", or -1
	for i, l := range lines {
		eq[i] = assignment(l)
	}
	for start := 0; start < len(lines); {
		if eq[start] < 0 {
			start++
			continue
		}
		end, width := start, 0
		for ; end < len(lines) && eq[end] >= 0; end++ {
			width = max(width, len(strings.TrimRight(lines[end][:eq[end]], " ")))
		}
		for i := start; i < end; i++ {
			lead := strings.TrimRight(lines[i][:eq[i]], " ")
			lines[i] = lead + strings.Repeat(" ", width-len(lead)+1) + lines[i][eq[i]:]
		}
		start = end
	}
	return strings.Join(lines, "\n")
}

// assignment returns the index of the "=" of a line "lead = expression"
// whose brackets balance, or -1.
func assignment(line string) int {
	eq, depth := -1, 0
	for i := 0; i < len(line); i++ {
		switch c := line[i]; c {
		case '"':
			for i++; i < len(line) && line[i] != '"'; i++ {
				if line[i] == '\\' {
					i++
				}
			}
		case '#':
			i = len(line)
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			depth--
		case '=':
			if eq < 0 && depth == 0 && i > 0 && (i+1 == len(line) || line[i+1] != '=') && line[i-1] != '!' && line[i-1] != '<' && line[i-1] != '>' {
				eq = i
			}
		}
	}
	if eq <= 0 || depth != 0 || strings.TrimSpace(line[:eq]) == "" {
		return -1
	}
	return eq
}

package faults

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// ref is an IAM entity as eventual consistency tracks it.
type ref struct{ kind, name string }

// consistency emulates IAM's eventual consistency: an entity created
// through the proxy stays invisible to later requests that use it, for a
// number of uses or for a while; with aws set (AWSConsistency), it is also
// left out of the listings that would show it, and a new access key is
// refused by STS for a while.
type consistency struct {
	uses   int           // fail this many uses of each new entity
	window time.Duration // or fail uses for this long after the create
	aws    bool          // also hide new entities from listings
	keys   time.Duration // STS refuses a new access key for this long
	fresh  map[ref]*freshEntity
	// newKeys are the access keys created through the proxy, by id.
	newKeys map[string]time.Time
}

type freshEntity struct {
	created time.Time
	failed  int
}

func (ec *consistency) enabled() bool { return ec.uses > 0 || ec.window > 0 || ec.keys > 0 }

// createdBy names the entity an IAM Create* call makes.
func createdBy(c call) (ref, bool) {
	if c.service != "iam" {
		return ref{}, false
	}
	var r ref
	switch c.action {
	case "CreateRole":
		r = ref{"role", c.fields["RoleName"]}
	case "CreateUser":
		r = ref{"user", c.fields["UserName"]}
	case "CreatePolicy":
		r = ref{"policy", c.fields["PolicyName"]}
	case "CreateInstanceProfile":
		r = ref{"instance-profile", c.fields["InstanceProfileName"]}
	case "CreateLoginProfile":
		r = ref{"login-profile", c.fields["UserName"]}
	}
	return r, r.name != ""
}

// usedBy lists the IAM entities a call reads or uses. PolicyName is left
// out: outside CreatePolicy it names an inline policy.
func usedBy(c call) []ref {
	if c.service != "iam" {
		return nil
	}
	var refs []ref
	for _, f := range [...]struct{ field, kind string }{
		{"InstanceProfileName", "instance-profile"}, {"UserName", "user"}, {"RoleName", "role"},
	} {
		if v := c.fields[f.field]; v != "" {
			refs = append(refs, ref{f.kind, v})
		}
	}
	if arn := c.fields["PolicyArn"]; arn != "" {
		refs = append(refs, ref{"policy", arn[strings.LastIndexByte(arn, '/')+1:]})
	}
	if strings.HasSuffix(c.action, "LoginProfile") && c.fields["UserName"] != "" {
		refs = append(refs, ref{"login-profile", c.fields["UserName"]})
	}
	return refs
}

// noteCreate starts the invisibility of what a successful call created;
// body is moto's answer (a new access key's id is in it).
func (ec *consistency) noteCreate(c call, body []byte, now time.Time) {
	if !ec.enabled() {
		return
	}
	if r, ok := createdBy(c); ok {
		if ec.fresh == nil {
			ec.fresh = map[ref]*freshEntity{}
		}
		ec.fresh[r] = &freshEntity{created: now}
	}
	if c.service == "iam" && c.action == "CreateAccessKey" {
		var out struct {
			ID string `xml:"CreateAccessKeyResult>AccessKey>AccessKeyId"`
		}
		if xml.Unmarshal(body, &out) == nil && out.ID != "" {
			if ec.newKeys == nil {
				ec.newKeys = map[string]time.Time{}
			}
			ec.newKeys[out.ID] = now
		}
	}
}

// check reports whether c uses an entity that is still invisible, or is
// signed with an access key STS does not accept yet: the fault and the
// message AWS gives for it. It counts the failed use.
func (ec *consistency) check(c call, now time.Time) (Kind, string) {
	if !ec.enabled() {
		return None, ""
	}
	if c.service == "sts" && ec.keys > 0 {
		if made, ok := ec.newKeys[c.accessKey]; ok && now.Sub(made) < ec.keys {
			return InvalidClientTokenID, "The security token included in the request is invalid."
		}
	}
	own, _ := createdBy(c)
	for _, r := range usedBy(c) {
		e := ec.fresh[r]
		if e == nil || r == own {
			continue
		}
		if !ec.invisible(e, now) {
			continue
		}
		e.failed++
		return NoSuchEntity, notFoundMessage(r, c)
	}
	return None, ""
}

// invisible reports whether e is still invisible at now.
func (ec *consistency) invisible(e *freshEntity, now time.Time) bool {
	return (ec.uses > 0 && e.failed < ec.uses) || (ec.window > 0 && now.Sub(e.created) < ec.window)
}

func notFoundMessage(r ref, c call) string {
	switch r.kind {
	case "role":
		return fmt.Sprintf("The role with name %s cannot be found.", r.name)
	case "user":
		return fmt.Sprintf("The user with name %s cannot be found.", r.name)
	case "instance-profile":
		return fmt.Sprintf("Instance Profile %s cannot be found.", r.name)
	case "login-profile":
		return fmt.Sprintf("Login Profile for User %s cannot be found.", r.name)
	default:
		return fmt.Sprintf("Policy %s was not found.", c.fields["PolicyArn"])
	}
}

// listed are the listings that leave out entities still invisible: per
// action, the element holding the list and what names each member.
var listed = map[string][]struct {
	list string
	name func(member []byte) ref
}{
	"GetAccountAuthorizationDetails": {
		{"UserDetailList", named("user", "UserName")},
		{"RoleDetailList", named("role", "RoleName")},
		{"Policies", func(m []byte) ref {
			arn := elementText(m, "Arn")
			return ref{"policy", arn[strings.LastIndexByte(arn, '/')+1:]}
		}},
	},
	"ListAccessKeys": {{"AccessKeyMetadata", named("access-key", "AccessKeyId")}},
}

func named(kind, element string) func([]byte) ref {
	return func(m []byte) ref { return ref{kind, elementText(m, element)} }
}

// filter leaves out of a listing moto answered the entities (and access
// keys) still invisible at now.
func (ec *consistency) filter(c call, body []byte, now time.Time) []byte {
	lists := listed[c.action]
	if !ec.aws || ec.window <= 0 || c.service != "iam" || len(lists) == 0 {
		return body
	}
	hidden := func(r ref) bool {
		if r.kind == "access-key" {
			made, ok := ec.newKeys[r.name]
			return ok && now.Sub(made) < ec.window
		}
		e := ec.fresh[r]
		return e != nil && now.Sub(e.created) < ec.window
	}
	for _, l := range lists {
		body = dropMembers(body, l.list, func(m []byte) bool { return hidden(l.name(m)) })
	}
	return body
}

// dropMembers removes the <member> elements directly inside the first
// <list> element of an XML answer for which drop is true.
func dropMembers(body []byte, list string, drop func(member []byte) bool) []byte {
	open, end := []byte("<"+list+">"), []byte("</"+list+">")
	start := bytes.Index(body, open)
	if start < 0 {
		return body
	}
	start += len(open)
	stop := bytes.Index(body[start:], end)
	if stop < 0 {
		return body
	}
	stop += start
	var out bytes.Buffer
	out.Write(body[:start])
	i := start
	for i < stop {
		m := bytes.Index(body[i:stop], []byte("<member>"))
		if m < 0 {
			break
		}
		m += i
		e := memberEnd(body, m)
		if e < 0 || e > stop {
			break
		}
		out.Write(body[i:m])
		if !drop(body[m:e]) {
			out.Write(body[m:e])
		}
		i = e
	}
	out.Write(body[i:])
	return out.Bytes()
}

// memberEnd returns the end of the <member> element starting at m, nested
// members included; -1 when it does not end.
func memberEnd(body []byte, m int) int {
	depth := 0
	for i := m; i < len(body); {
		next := bytes.IndexByte(body[i:], '<')
		if next < 0 {
			return -1
		}
		i += next
		switch {
		case bytes.HasPrefix(body[i:], []byte("<member>")):
			depth++
			i += len("<member>")
		case bytes.HasPrefix(body[i:], []byte("</member>")):
			depth--
			i += len("</member>")
			if depth == 0 {
				return i
			}
		default:
			i++
		}
	}
	return -1
}

// elementPattern finds the elements that name a listed member.
var elementPattern = map[string]*regexp.Regexp{}

func init() {
	for _, name := range []string{"UserName", "RoleName", "Arn", "AccessKeyId"} {
		elementPattern[name] = regexp.MustCompile("<" + name + ">([^<]*)</" + name + ">")
	}
}

// elementText is the text of the first <name> element in b.
func elementText(b []byte, name string) string {
	if m := elementPattern[name].FindSubmatch(b); m != nil {
		return string(m[1])
	}
	return ""
}

package faults

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// entityFields are the request fields that name an entity, in the order
// that picks Request.Entity. Values are names or ARNs, never secrets.
var entityFields = []string{"InstanceProfileName", "UserName", "RoleName", "GroupName",
	"PolicyArn", "PolicyName", "StackName", "SecretId", "Name", "RoleArn", "PolicySourceArn", "AccessKeyId"}

// call is what the proxy learns from a request: only names.
type call struct {
	service, action, entity string
	region                  string
	json                    bool
	fields                  map[string]string // entityFields present in the request
	attempt                 int
	accessKey               string // the access key id that signed it
}

func parseCall(r *http.Request, body []byte) call {
	c := call{fields: map[string]string{}}
	c.service, c.region = scopeOf(r)
	target := r.Header.Get("X-Amz-Target")
	c.json = target != "" || strings.Contains(r.Header.Get("Content-Type"), "application/x-amz-json")
	if c.json {
		if i := strings.LastIndexByte(target, '.'); i >= 0 {
			c.action = target[i+1:]
			if c.service == "" {
				c.service = strings.ToLower(target[:i])
			}
		}
		var names struct {
			SecretId, Name string
			Tags           []json.RawMessage
		}
		if json.Unmarshal(body, &names) == nil {
			c.fields["SecretId"], c.fields["Name"] = names.SecretId, names.Name
			if len(names.Tags) > 0 {
				c.fields["Tags"] = "yes"
			}
		}
	} else {
		form := r.URL.Query()
		if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
			if f, err := url.ParseQuery(string(body)); err == nil {
				for k, v := range f {
					form[k] = v
				}
			}
		}
		c.action = form.Get("Action")
		for _, k := range entityFields {
			c.fields[k] = form.Get(k)
		}
		if form.Get("Tags.member.1.Key") != "" {
			c.fields["Tags"] = "yes"
		}
	}
	for _, k := range entityFields {
		if v := c.fields[k]; v != "" {
			c.entity = v
			break
		}
	}
	for k, v := range c.fields {
		if v == "" {
			delete(c.fields, k)
		}
	}
	_, _ = fmt.Sscanf(r.Header.Get("Amz-Sdk-Request"), "attempt=%d", &c.attempt)
	c.accessKey = accessKeyOf(r)
	return c
}

// accessKeyOf reads the access key id from the SigV4 credential
// (Credential=AKID/date/region/service/aws4_request).
func accessKeyOf(r *http.Request) string {
	auth := r.Header.Get("Authorization")
	i := strings.Index(auth, "Credential=")
	if i < 0 {
		return ""
	}
	cred := auth[i+len("Credential="):]
	if j := strings.IndexByte(cred, '/'); j >= 0 {
		return cred[:j]
	}
	return ""
}

// scopeOf reads the signing name and region from the SigV4 credential
// scope (Credential=AKID/date/region/service/aws4_request), in the
// Authorization header or a presigned query.
func scopeOf(r *http.Request) (service, region string) {
	cred := ""
	if auth := r.Header.Get("Authorization"); auth != "" {
		if i := strings.Index(auth, "Credential="); i >= 0 {
			cred = auth[i+len("Credential="):]
			if j := strings.IndexAny(cred, ", "); j >= 0 {
				cred = cred[:j]
			}
		}
	} else {
		cred = r.URL.Query().Get("X-Amz-Credential")
	}
	if parts := strings.Split(cred, "/"); len(parts) == 5 {
		return parts[3], parts[2]
	}
	return "", ""
}

var queryNamespaces = map[string]string{
	"iam":            "https://iam.amazonaws.com/doc/2010-05-08/",
	"sts":            "https://sts.amazonaws.com/doc/2011-06-15/",
	"cloudformation": "http://cloudformation.amazonaws.com/doc/2010-05-15/",
}

// awsError is an error answered in the request's protocol.
type awsError struct {
	status          int
	sender          bool // Query <Type>: Sender or Receiver
	code, message   string
	jsonCode, jsMsg string // JSON protocol variant, when it differs
}

func errorFor(k Kind, c call, msg string) awsError {
	switch k {
	case Throttle:
		return awsError{status: 400, sender: true, code: "Throttling", message: "Rate exceeded",
			jsonCode: "ThrottlingException"}
	case InternalError:
		return awsError{status: 500, code: "InternalFailure",
			message: "The request processing has failed because of an unknown error, exception or failure."}
	case Unavailable:
		return awsError{status: 503, code: "ServiceUnavailable", message: "Service is unavailable. Please try again later."}
	case InvalidClientTokenID:
		return awsError{status: 403, sender: true, code: "InvalidClientTokenId", message: msg}
	case AccessDenied:
		if msg == "" {
			msg = fmt.Sprintf("User is not authorized to perform: %s:%s", c.service, c.action)
		}
		return awsError{status: 403, sender: true, code: "AccessDenied", message: msg, jsonCode: "AccessDeniedException"}
	default: // NoSuchEntity
		if msg == "" {
			msg = fmt.Sprintf("The entity %s cannot be found.", c.entity)
		}
		return awsError{status: 404, sender: true, code: "NoSuchEntity", message: msg,
			jsonCode: "ResourceNotFoundException", jsMsg: "Secrets Manager can't find the specified secret."}
	}
}

func (e awsError) write(w http.ResponseWriter, c call, requestID string) int {
	h := w.Header()
	h.Set("x-amzn-RequestId", requestID)
	var body []byte
	status := e.status
	if c.json {
		code, msg := e.code, e.message
		if e.jsonCode != "" {
			code = e.jsonCode
		}
		if e.jsMsg != "" {
			msg = e.jsMsg
		}
		if status == 404 {
			status = 400 // JSON protocols answer client errors with 400
		}
		body, _ = json.Marshal(map[string]string{"__type": code, "message": msg})
		h.Set("Content-Type", "application/x-amz-json-1.1")
		h.Set("x-amzn-ErrorType", code)
	} else {
		typ := "Receiver"
		if e.sender {
			typ = "Sender"
		}
		var b bytes.Buffer
		b.WriteString(`<ErrorResponse`)
		if ns := queryNamespaces[c.service]; ns != "" {
			b.WriteString(` xmlns="` + ns + `"`)
		}
		b.WriteString(">\n  <Error>\n    <Type>" + typ + "</Type>\n    <Code>" + e.code + "</Code>\n    <Message>")
		_ = xml.EscapeText(&b, []byte(e.message))
		b.WriteString("</Message>\n  </Error>\n  <RequestId>" + requestID + "</RequestId>\n</ErrorResponse>\n")
		body = b.Bytes()
		h.Set("Content-Type", "text/xml")
	}
	h.Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
	return status
}

// notImplementedPage is the page moto_server (Flask/Werkzeug) answers for
// an operation it does not implement.
const notImplementedPage = `<!doctype html>
<html lang=en>
<title>500 Internal Server Error</title>
<h1>Internal Server Error</h1>
<p>The server encountered an internal error and was unable to complete your request. Either the server is overloaded or there is an error in the application.</p>
`

func writeHTML500(w http.ResponseWriter) int {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", fmt.Sprint(len(notImplementedPage)))
	w.WriteHeader(http.StatusInternalServerError)
	_, _ = w.Write([]byte(notImplementedPage))
	return http.StatusInternalServerError
}

func requestID(seq int) string {
	return fmt.Sprintf("fa017000-0000-4000-8000-%012d", seq)
}

package iampolicy_test

import (
	"fmt"

	"github.com/rciam/rciam/internal/iampolicy"
)

func Example() {
	doc := []byte(`{
	  "Version": "2012-10-17",
	  "Statement": [
	    {"Sid": "Run", "Effect": "Allow", "Action": "ec2:RunInstances", "Resource": "*"},
	    {"Sid": "NeedTag", "Effect": "Deny", "Action": "ec2:RunInstances",
	     "Resource": "arn:aws:ec2:*:*:instance/*",
	     "Condition": {"Null": {"aws:RequestTag/RedisLabsIdentifier": "true"}}}
	  ]
	}`)
	p, err := iampolicy.Validate(doc, iampolicy.ManagedPolicy)
	if err != nil {
		fmt.Println(err)
		return
	}
	c, err := iampolicy.Compile("user-policy", p)
	if err != nil {
		fmt.Println(err)
		return
	}
	in := &iampolicy.Input{Identity: []*iampolicy.Compiled{c}}
	req := iampolicy.Request{Action: "ec2:RunInstances", Resource: "arn:aws:ec2:us-east-1:123456789012:instance/i-1"}

	r := iampolicy.Evaluate(in, req)
	fmt.Println(r.Decision, r.Matched[0].Statement())

	req.Context = map[string][]string{"aws:requesttag/redislabsidentifier": {"Redislabs-VPC"}}
	r = iampolicy.Evaluate(in, req)
	fmt.Println(r.Decision, r.Matched[0].Statement())
	// Output:
	// explicitDeny "NeedTag"
	// allowed "Run"
}

func ExampleDiff() {
	from, _ := iampolicy.Parse([]byte(`{"Version":"2012-10-17","Statement":[{"Sid":"EC2","Effect":"Allow","Action":["ec2:CreateVolume","ec2:DeleteVolume"],"Resource":"*"}]}`))
	to, _ := iampolicy.Parse([]byte(`{"Version":"2012-10-17","Statement":{"Sid":"EC2","Effect":"Allow","Action":"EC2:createvolume","Resource":["*"]}}`))
	for _, line := range iampolicy.Diff(from, to) {
		fmt.Println(line)
	}
	// Output:
	// ~ statement "EC2": - action ec2:DeleteVolume
}

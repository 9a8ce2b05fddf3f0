package render

import (
	"fmt"
	"io"
)

// The operator-policy formats: the document the caller of rciam needs
// (internal/operator), as it is or as a managed policy resource.
const (
	OperatorPolicy               Format = "operator-policy"
	OperatorPolicyCloudFormation Format = "operator-policy-cloudformation"
	OperatorPolicyTerraform      Format = "operator-policy-terraform"
)

// IsOperator reports the operator-policy formats, which render no entity.
func (f Format) IsOperator() bool {
	return f == OperatorPolicy || f == OperatorPolicyCloudFormation || f == OperatorPolicyTerraform
}

// operatorPolicyName is the managed policy's name in the wrapped formats.
const operatorPolicyName = "rciam-operator"

// Operator writes the operator policy document doc in format f: the
// document itself, a CloudFormation template with one
// AWS::IAM::ManagedPolicy, or a Terraform aws_iam_policy. about says what
// the document allows ("commands plan, apply; layout cloud").
func Operator(w io.Writer, doc []byte, f Format, about string) error {
	switch f {
	case OperatorPolicy:
		_, err := w.Write(doc)
		return err
	case OperatorPolicyCloudFormation:
		d, err := document(doc)
		if err != nil {
			return err
		}
		out := obj{
			{"AWSTemplateFormatVersion", "2010-09-09"},
			{"Description", "What the caller of rciam needs (" + about + "), rendered by rciam."},
			{"Resources", obj{{"RciamOperatorPolicy", resource("AWS::IAM::ManagedPolicy", obj{
				{"ManagedPolicyName", operatorPolicyName},
				{"Description", "Lets its holder run rciam: " + about},
				{"PolicyDocument", d}})}}},
			{"Outputs", obj{{"OperatorPolicyArn", obj{{"Description", "Attach it to the user or role that runs rciam"}, {"Value", ref("RciamOperatorPolicy")}}}}},
		}
		return encodeIndented(w, out)
	case OperatorPolicyTerraform:
		t := &tfWriter{}
		fmt.Fprintf(&t.b, "# What the caller of rciam needs (%s), rendered by rciam.\n\n", about)
		t.block(`resource "aws_iam_policy" "rciam_operator"`,
			attr("name", hclString(operatorPolicyName)),
			attr("description", hclString("Lets its holder run rciam: "+about)),
			attr("policy", t.doc(doc)))
		t.block(`output "operator_policy_arn"`, attr("description", hclString("Attach it to the user or role that runs rciam")),
			attr("value", "aws_iam_policy.rciam_operator.arn"))
		return t.writeTo(w)
	}
	return fmt.Errorf("invalid format %q for the operator policy", f)
}

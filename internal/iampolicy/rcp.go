package iampolicy

import "strings"

// rcpServices are the services whose resources resource control policies
// cover (AWS Organizations, "Resource control policies": the list of
// supported services, as of 2026).
var rcpServices = map[string]bool{
	"s3": true, "sts": true, "kms": true, "sqs": true, "secretsmanager": true,
	"cognito-identity": true, "logs": true, "dynamodb": true, "ecr": true, "aoss": true,
}

// RCPsApply reports whether RCPs take part in deciding req, and when not,
// why: they cover only some services' resources, and never requests made
// by service-linked roles (a principal ARN under role/aws-service-role/).
func RCPsApply(req Request) (bool, string) {
	service, _, _ := strings.Cut(strings.ToLower(req.Action), ":")
	if !rcpServices[service] {
		return false, "resource control policies do not cover " + service
	}
	for k, vs := range req.Context {
		if !strings.EqualFold(k, "aws:PrincipalArn") {
			continue
		}
		for _, v := range vs {
			if strings.Contains(v, ":role/aws-service-role/") {
				return false, "resource control policies do not apply to service-linked roles"
			}
		}
	}
	return true, ""
}

# IAM entities Redis Cloud needs in this account, rendered by rciam
# (layout cloud, policies docs-v1).
# RedisLabsInstanceRolePolicy: sha256 d164063ee077d280dc113b34788167deb5f11a4e825afc71c98160b2f8d7ef5b
# RedislabsIAMUserRestrictedPolicy: sha256 58bab591feb480f381cb75b40d9045c86ccd8c2ac147e8d485b2886c7335f67d
# Region and credentials come from the AWS provider's usual settings
# (AWS_REGION, AWS_PROFILE, ...). In strings "$${" is Terraform's escape
# for a literal "${": IAM receives "${aws:username}".

terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}

data "aws_caller_identity" "current" {}

resource "aws_iam_policy" "instance_role_policy" {
  name        = "RedisLabsInstanceRolePolicy"
  description = "Instance role policy used by Redislabs for its cluster members"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid    = "EC2"
        Effect = "Allow"
        Action = [
          "ec2:DescribeAvailabilityZones",
          "ec2:DescribeRegions",
          "ec2:DescribeSecurityGroups",
          "ec2:DescribeTags",
          "ec2:DescribeVolumes",
        ]
        Resource = "*"
      },
      {
        Sid    = "EC2Tagged"
        Effect = "Allow"
        Action = [
          "ec2:AuthorizeSecurityGroupEgress",
          "ec2:AuthorizeSecurityGroupIngress",
          "ec2:DeleteSecurityGroup",
          "ec2:RevokeSecurityGroupEgress",
          "ec2:RevokeSecurityGroupIngress",
        ]
        Resource = "*"
        Condition = {
          StringEquals = {
            "ec2:ResourceTag/RedisLabsIdentifier" = "Redislabs-VPC"
          }
        }
      },
      {
        Sid    = "EBSVolumeActions"
        Effect = "Allow"
        Action = [
          "ec2:AttachVolume",
          "ec2:CreateVolume",
          "ec2:CreateTags",
          "ec2:DescribeTags",
        ]
        Resource = "*"
      },
      {
        Sid    = "S3Object"
        Effect = "Allow"
        Action = [
          "s3:PutObject",
          "s3:PutObjectAcl",
          "s3:GetObject",
          "s3:GetObjectAcl",
          "s3:DeleteObject",
          "s3:ListBucket",
          "s3:GetBucketLocation",
        ]
        Resource = "*"
      },
      {
        Sid    = "IAM"
        Effect = "Allow"
        Action = [
          "iam:GetPolicy",
          "iam:ListPolicies",
        ]
        Resource = "*"
      },
    ]
  })
  tags = {
    ManagedBy = "rciam"
  }
}

resource "aws_iam_policy" "user_restricted_policy" {
  name        = "RedislabsIAMUserRestrictedPolicy"
  description = "Policy used by RedisLabs users"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "Ec2DescribeAll"
        Effect   = "Allow"
        Action   = "ec2:Describe*"
        Resource = "*"
      },
      {
        Sid    = "CloudWatchReadOnly"
        Effect = "Allow"
        Action = [
          "cloudwatch:Describe*",
          "cloudwatch:Get*",
          "cloudwatch:List*",
        ]
        Resource = "*"
      },
      {
        Sid    = "IamUserOperations"
        Effect = "Allow"
        Action = [
          "iam:GetUser",
          "iam:GetUserPolicy",
          "iam:ChangePassword",
        ]
        Resource = "arn:aws:iam::*:user/$${aws:username}"
      },
      {
        Sid = "RolePolicyUserReadActions"
        Action = [
          "iam:GetRole",
          "iam:GetPolicy",
          "iam:ListUsers",
          "iam:ListPolicies",
          "iam:ListRolePolicies",
          "iam:ListAttachedRolePolicies",
          "iam:ListInstanceProfiles",
          "iam:ListInstanceProfilesForRole",
          "iam:SimulatePrincipalPolicy",
        ]
        Effect   = "Allow"
        Resource = "*"
      },
      {
        Sid    = "KeyPairActions"
        Effect = "Allow"
        Action = [
          "ec2:CreateKeyPair",
          "ec2:DeleteKeyPair",
          "ec2:ImportKeyPair",
        ]
        Resource = "*"
      },
      {
        Sid    = "CreateInstancesSnapshotsVolumesAndTags"
        Effect = "Allow"
        Action = [
          "ec2:CreateVolume",
          "ec2:AttachVolume",
          "ec2:StartInstances",
          "ec2:RunInstances",
          "ec2:CreateSnapshot",
          "ec2:CreateTags",
          "ec2:ModifyInstanceAttribute",
        ]
        Resource = "*"
      },
      {
        Sid      = "PassRlClusterNodeRole"
        Effect   = "Allow"
        Action   = "iam:PassRole"
        Resource = "arn:aws:iam::*:role/redislabs-cluster-node-role"
      },
      {
        Sid    = "NetworkAccess"
        Effect = "Allow"
        Action = [
          "ec2:*Vpc*",
          "ec2:*VpcPeering*",
          "ec2:*Subnet*",
          "ec2:*Gateway*",
          "ec2:*Vpn*",
          "ec2:*Route*",
          "ec2:*Address*",
          "ec2:*SecurityGroup*",
          "ec2:*NetworkAcl*",
          "ec2:*DhcpOptions*",
        ]
        Resource = "*"
      },
      {
        Sid    = "DeleteInstancesVolumesSnapshotsAndTagsWithIdentiferTag"
        Effect = "Allow"
        Action = [
          "ec2:RebootInstances",
          "ec2:StopInstances",
          "ec2:TerminateInstances",
          "ec2:DeleteVolume",
          "ec2:DeleteSnapshot",
          "ec2:DetachVolume",
          "ec2:DeleteTags",
        ]
        Resource = "*"
        Condition = {
          StringEquals = {
            "ec2:ResourceTag/RedisLabsIdentifier" = "Redislabs-VPC"
          }
        }
      },
      {
        Sid      = "Support"
        Effect   = "Allow"
        Action   = "support:*"
        Resource = "*"
      },
    ]
  })
  tags = {
    ManagedBy = "rciam"
  }
}

resource "aws_iam_role" "cluster_node_role" {
  name        = "redislabs-cluster-node-role"
  description = "Role used by EC2 instances managed by RedisLabs"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect = "Allow"
        Principal = {
          Service = "ec2.amazonaws.com"
        }
        Action = "sts:AssumeRole"
      },
    ]
  })
  tags = {
    ManagedBy = "rciam"
    UsedBy    = "RedisLabs"
  }
}

resource "aws_iam_role_policy_attachment" "cluster_node_role_instance_role_policy" {
  role       = aws_iam_role.cluster_node_role.name
  policy_arn = aws_iam_policy.instance_role_policy.arn
}

resource "aws_iam_role" "cross_account_role" {
  name        = "redislabs-role"
  description = "Console access for Redis Cloud (account 168085023892), MFA required"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect = "Allow"
        Principal = {
          AWS = "arn:aws:iam::168085023892:root"
        }
        Action = "sts:AssumeRole"
        Condition = {
          Bool = {
            "aws:MultiFactorAuthPresent" = "true"
          }
        }
      },
    ]
  })
  tags = {
    ManagedBy = "rciam"
    UsedBy    = "RedisLabs"
  }
}

resource "aws_iam_role_policy_attachment" "cross_account_role_user_restricted_policy" {
  role       = aws_iam_role.cross_account_role.name
  policy_arn = aws_iam_policy.user_restricted_policy.arn
}

resource "aws_iam_instance_profile" "cluster_node" {
  name = "redislabs-cluster-node-role"
  role = aws_iam_role.cluster_node_role.name
  tags = {
    ManagedBy = "rciam"
    UsedBy    = "RedisLabs"
  }
}

resource "aws_iam_user" "redislabs_user" {
  name = "redislabs-user"
  tags = {
    ManagedBy      = "rciam"
    UsedBy         = "RedisLabs"
    "rciam:region" = split(":", aws_secretsmanager_secret.password.arn)[3]
  }
}

resource "aws_iam_user_policy_attachment" "redislabs_user_user_restricted_policy" {
  user       = aws_iam_user.redislabs_user.name
  policy_arn = aws_iam_policy.user_restricted_policy.arn
}

resource "aws_iam_access_key" "redislabs_user" {
  user   = aws_iam_user.redislabs_user.name
  status = "Active"
}

resource "aws_iam_user_login_profile" "redislabs_user" {
  user                    = aws_iam_user.redislabs_user.name
  password_length         = 30
  password_reset_required = false
}

resource "aws_secretsmanager_secret" "secret_access_key" {
  name        = "/redislabsuser/secret_access_key"
  description = "Redis Labs User Secret Access Key"
  tags = {
    ManagedBy             = "rciam"
    "rciam:access-key-id" = aws_iam_access_key.redislabs_user.id
    "rciam:region"        = split(":", aws_secretsmanager_secret.password.arn)[3]
  }
}

resource "aws_secretsmanager_secret_version" "secret_access_key" {
  secret_id     = aws_secretsmanager_secret.secret_access_key.id
  secret_string = aws_iam_access_key.redislabs_user.secret
}

resource "aws_secretsmanager_secret" "password" {
  name        = "/redislabsuser/password"
  description = "Redis Labs User Password"
  tags = {
    ManagedBy = "rciam"
  }
}

resource "aws_secretsmanager_secret_version" "password" {
  secret_id     = aws_secretsmanager_secret.password.id
  secret_string = jsonencode({ password = aws_iam_user_login_profile.redislabs_user.password })
}

output "accessKeyId" {
  description = "Access key id of redislabs-user"
  value       = aws_iam_access_key.redislabs_user.id
}

output "accessSecretKey" {
  description = "ARN of the secret holding the access key's secret"
  value       = aws_secretsmanager_secret.secret_access_key.arn
}

output "consolePassword" {
  description = "ARN of the secret holding the console password"
  value       = aws_secretsmanager_secret.password.arn
}

output "consoleUsername" {
  description = "Console user name"
  value       = aws_iam_user.redislabs_user.name
}

output "signInLoginUrl" {
  description = "Console sign-in URL"
  value       = "https://${data.aws_caller_identity.current.account_id}.signin.aws.amazon.com/console"
}

output "IAMRoleName" {
  description = "Console role Redis Cloud assumes"
  value       = aws_iam_role.cross_account_role.name
}

//! SAM's policy templates (`S3ReadPolicy: {BucketName: ...}` in `Policies`)
//! and the statements SAM writes for each, as AWS publishes them in the SAM
//! translator (`samtranslator/policy_templates_data/policy_templates.json`,
//! all 81 templates as of SAM 1.9x; the SAM developer guide's "policy
//! template list" documents the same).
//!
//! A resource pattern is `*`, `${Param}`, a full ARN, or `service:rest`,
//! short for the ARN in the stack's own partition, region and account:
//! `arn:${AWS::Partition}:service:${AWS::Region}:${AWS::AccountId}:rest`.
//! `${Name}` other than `${AWS::...}` is the template's parameter `Name`;
//! a template's parameters are exactly those its patterns name.

use std::borrow::Cow;

pub(super) struct PolicyTemplate {
    pub(super) name: &'static str,
    /// One Allow statement each.
    pub(super) grants: &'static [Grant],
}

pub(super) struct Grant {
    pub(super) actions: &'static [&'static str],
    pub(super) resources: &'static [&'static str],
    /// `(operator, key, value pattern)`.
    pub(super) condition: Option<(&'static str, &'static str, &'static str)>,
}

impl PolicyTemplate {
    pub(super) fn find(name: &str) -> Option<&'static PolicyTemplate> {
        TEMPLATES
            .binary_search_by(|t| t.name.cmp(name))
            .ok()
            .map(|i| &TEMPLATES[i])
    }

    /// The parameters its patterns name, in order of first use.
    pub(super) fn parameters(&self) -> Vec<&'static str> {
        let mut names = Vec::new();
        for grant in self.grants {
            let patterns = grant
                .resources
                .iter()
                .chain(grant.condition.as_ref().map(|c| &c.2));
            for name in patterns.flat_map(|p| placeholders(p)) {
                if !names.contains(&name) {
                    names.push(name);
                }
            }
        }
        names
    }
}

/// The `${Name}` parameters of a pattern (pseudo parameters left out).
pub(super) fn placeholders(pattern: &'static str) -> impl Iterator<Item = &'static str> {
    pattern
        .split("${")
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
        .filter(|name| !name.starts_with("AWS::"))
}

/// The pattern as an `Fn::Sub` template.
pub(super) fn sub_template(pattern: &str) -> Cow<'_, str> {
    if pattern == "*" || pattern.starts_with("arn:") || pattern.starts_with("${") {
        return Cow::Borrowed(pattern);
    }
    match pattern.split_once(':') {
        Some((service, rest)) => Cow::Owned(format!(
            "arn:${{AWS::Partition}}:{service}:${{AWS::Region}}:${{AWS::AccountId}}:{rest}"
        )),
        None => Cow::Borrowed(pattern),
    }
}

/// Sorted by name (binary search).
static TEMPLATES: &[PolicyTemplate] = &[
    PolicyTemplate {
        name: "AMIDescribePolicy",
        grants: &[Grant {
            actions: &["ec2:DescribeImages"],
            resources: &["*"],
            condition: None,
        }],
    },
    PolicyTemplate {
        name: "AWSSecretsManagerGetSecretValuePolicy",
        grants: &[Grant {
            actions: &["secretsmanager:GetSecretValue"],
            resources: &["${SecretArn}"],
            condition: None,
        }],
    },
    PolicyTemplate {
        name: "AWSSecretsManagerRotationPolicy",
        grants: &[
            Grant {
                actions: &[
                    "secretsmanager:DescribeSecret",
                    "secretsmanager:GetSecretValue",
                    "secretsmanager:PutSecretValue",
                    "secretsmanager:UpdateSecretVersionStage",
                ],
                resources: &["secretsmanager:secret:*"],
                condition: Some((
                    "StringEquals",
                    "secretsmanager:resource/AllowRotationLambdaArn",
                    "lambda:function:${FunctionName}",
                )),
            },
            Grant {
                actions: &["secretsmanager:GetRandomPassword"],
                resources: &["*"],
                condition: None,
            },
        ],
    },
    PolicyTemplate {
        name: "AcmGetCertificatePolicy",
        grants: &[Grant {
            actions: &["acm:GetCertificate"],
            resources: &["${CertificateArn}"],
            condition: None,
        }],
    },
    PolicyTemplate {
        name: "AthenaQueryPolicy",
        grants: &[
            Grant {
                actions: &[
                    "athena:ListWorkGroups",
                    "athena:GetExecutionEngine",
                    "athena:GetExecutionEngines",
                    "athena:GetNamespace",
                    "athena:GetCatalogs",
                    "athena:GetNamespaces",
                    "athena:GetTables",
                    "athena:GetTable",
                ],
                resources: &["*"],
                condition: None,
            },
            Grant {
                actions: &[
                    "athena:StartQueryExecution",
                    "athena:GetQueryResults",
                    "athena:DeleteNamedQuery",
                    "athena:GetNamedQuery",
                    "athena:ListQueryExecutions",
                    "athena:StopQueryExecution",
                    "athena:GetQueryResultsStream",
                    "athena:ListNamedQueries",
                    "athena:CreateNamedQuery",
                    "athena:GetQueryExecution",
                    "athena:BatchGetNamedQuery",
                    "athena:BatchGetQueryExecution",
                    "athena:GetWorkGroup",
                ],
                resources: &["athena:workgroup/${WorkGroupName}"],
                condition: None,
            },
        ],
    },
    PolicyTemplate {
        name: "CloudFormationDescribeStacksPolicy",
        grants: &[Grant {
            actions: &["cloudformation:DescribeStacks"],
            resources: &["cloudformation:stack/*"],
            condition: None,
        }],
    },
    PolicyTemplate {
        name: "CloudWatchDashboardPolicy",
        grants: &[Grant {
            actions: &[
                "cloudwatch:GetDashboard",
                "cloudwatch:ListDashboards",
                "cloudwatch:PutDashboard",
                "cloudwatch:ListMetrics",
            ],
            resources: &["*"],
            condition: None,
        }],
    },
    PolicyTemplate {
        name: "CloudWatchDescribeAlarmHistoryPolicy",
        grants: &[Grant {
            actions: &["cloudwatch:DescribeAlarmHistory"],
            resources: &["*"],
            condition: None,
        }],
    },
    PolicyTemplate {
        name: "CloudWatchPutMetricPolicy",
        grants: &[Grant {
            actions: &["cloudwatch:PutMetricData"],
            resources: &["*"],
            condition: None,
        }],
    },
    PolicyTemplate {
        name: "CodeCommitCrudPolicy",
        grants: &[Grant {
            actions: &[
                "codecommit:GitPull",
                "codecommit:GitPush",
                "codecommit:CreateBranch",
                "codecommit:DeleteBranch",
                "codecommit:GetBranch",
                "codecommit:ListBranches",
                "codecommit:MergeBranchesByFastForward",
                "codecommit:MergeBranchesBySquash",
                "codecommit:MergeBranchesByThreeWay",
                "codecommit:UpdateDefaultBranch",
                "codecommit:BatchDescribeMergeConflicts",
                "codecommit:CreateUnreferencedMergeCommit",
                "codecommit:DescribeMergeConflicts",
                "codecommit:GetMergeCommit",
                "codecommit:GetMergeOptions",
                "codecommit:BatchGetPullRequests",
                "codecommit:CreatePullRequest",
                "codecommit:DescribePullRequestEvents",
                "codecommit:GetCommentsForPullRequest",
                "codecommit:GetCommitsFromMergeBase",
                "codecommit:GetMergeConflicts",
                "codecommit:GetPullRequest",
                "codecommit:ListPullRequests",
                "codecommit:MergePullRequestByFastForward",
                "codecommit:MergePullRequestBySquash",
                "codecommit:MergePullRequestByThreeWay",
                "codecommit:PostCommentForPullRequest",
                "codecommit:UpdatePullRequestDescription",
                "codecommit:UpdatePullRequestStatus",
                "codecommit:UpdatePullRequestTitle",
                "codecommit:DeleteFile",
                "codecommit:GetBlob",
                "codecommit:GetFile",
                "codecommit:GetFolder",
                "codecommit:PutFile",
                "codecommit:DeleteCommentContent",
                "codecommit:GetComment",
                "codecommit:GetCommentsForComparedCommit",
                "codecommit:PostCommentForComparedCommit",
                "codecommit:PostCommentReply",
                "codecommit:UpdateComment",
                "codecommit:BatchGetCommits",
                "codecommit:CreateCommit",
                "codecommit:GetCommit",
                "codecommit:GetCommitHistory",
                "codecommit:GetDifferences",
                "codecommit:GetObjectIdentifier",
                "codecommit:GetReferences",
                "codecommit:GetTree",
                "codecommit:GetRepository",
                "codecommit:UpdateRepositoryDescription",
                "codecommit:ListTagsForResource",
                "codecommit:TagResource",
                "codecommit:UntagResource",
                "codecommit:GetRepositoryTriggers",
                "codecommit:PutRepositoryTriggers",
                "codecommit:TestRepositoryTriggers",
                "codecommit:UploadArchive",
                "codecommit:GetUploadArchiveStatus",
                "codecommit:CancelUploadArchive",
            ],
            resources: &["codecommit:${RepositoryName}"],
            condition: None,
        }],
    },
    PolicyTemplate {
        name: "CodeCommitReadPolicy",
        grants: &[Grant {
            actions: &[
                "codecommit:GitPull",
                "codecommit:GetBranch",
                "codecommit:ListBranches",
                "codecommit:BatchDescribeMergeConflicts",
                "codecommit:DescribeMergeConflicts",
                "codecommit:GetMergeCommit",
                "codecommit:GetMergeOptions",
                "codecommit:BatchGetPullRequests",
                "codecommit:DescribePullRequestEvents",
                "codecommit:GetCommentsForPullRequest",
                "codecommit:GetCommitsFromMergeBase",
                "codecommit:GetMergeConflicts",
                "codecommit:GetPullRequest",
                "codecommit:ListPullRequests",
                "codecommit:GetBlob",
                "codecommit:GetFile",
                "codecommit:GetFolder",
                "codecommit:GetComment",
                "codecommit:GetCommentsForComparedCommit",
                "codecommit:BatchGetCommits",
                "codecommit:GetCommit",
                "codecommit:GetCommitHistory",
                "codecommit:GetDifferences",
                "codecommit:GetObjectIdentifier",
                "codecommit:GetReferences",
                "codecommit:GetTree",
                "codecommit:GetRepository",
                "codecommit:ListTagsForResource",
                "codecommit:GetRepositoryTriggers",
                "codecommit:TestRepositoryTriggers",
                "codecommit:GetUploadArchiveStatus",
            ],
            resources: &["codecommit:${RepositoryName}"],
            condition: None,
        }],
    },
    PolicyTemplate {
        name: "CodePipelineLambdaExecutionPolicy",
        grants: &[Grant {
            actions: &[
                "codepipeline:PutJobSuccessResult",
                "codepipeline:PutJobFailureResult",
            ],
            resources: &["*"],
            condition: None,
        }],
    },
    PolicyTemplate {
        name: "CodePipelineReadOnlyPolicy",
        grants: &[Grant {
            actions: &["codepipeline:ListPipelineExecutions"],
            resources: &["codepipeline:${PipelineName}"],
            condition: None,
        }],
    },
    PolicyTemplate {
        name: "ComprehendBasicAccessPolicy",
        grants: &[Grant {
            actions: &[
                "comprehend:BatchDetectKeyPhrases",
                "comprehend:DetectDominantLanguage",
                "comprehend:DetectEntities",
                "comprehend:BatchDetectEntities",
                "comprehend:DetectKeyPhrases",
                "comprehend:DetectSentiment",
                "comprehend:BatchDetectDominantLanguage",
                "comprehend:BatchDetectSentiment",
            ],
            resources: &["*"],
            condition: None,
        }],
    },
    PolicyTemplate {
        name: "CostExplorerReadOnlyPolicy",
        grants: &[Grant {
            actions: &[
                "ce:GetCostAndUsage",
                "ce:GetDimensionValues",
                "ce:GetReservationCoverage",
                "ce:GetReservationPurchaseRecommendation",
                "ce:GetReservationUtilization",
                "ce:GetTags",
            ],
            resources: &["*"],
            condition: None,
        }],
    },
    PolicyTemplate {
        name: "DynamoDBBackupFullAccessPolicy",
        grants: &[
            Grant {
                actions: &[
                    "dynamodb:CreateBackup",
                    "dynamodb:DescribeContinuousBackups",
                ],
                resources: &["dynamodb:table/${TableName}"],
                condition: None,
            },
            Grant {
                actions: &[
                    "dynamodb:DeleteBackup",
                    "dynamodb:DescribeBackup",
                    "dynamodb:ListBackups",
                ],
                resources: &["dynamodb:table/${TableName}/backup/*"],
                condition: None,
            },
        ],
    },
    PolicyTemplate {
        name: "DynamoDBCrudPolicy",
        grants: &[Grant {
            actions: &[
                "dynamodb:GetItem",
                "dynamodb:DeleteItem",
                "dynamodb:PutItem",
                "dynamodb:Scan",
                "dynamodb:Query",
                "dynamodb:UpdateItem",
                "dynamodb:BatchWriteItem",
                "dynamodb:BatchGetItem",
                "dynamodb:DescribeTable",
                "dynamodb:ConditionCheckItem",
            ],
            resources: &[
                "dynamodb:table/${TableName}",
                "dynamodb:table/${TableName}/index/*",
            ],
            condition: None,
        }],
    },
    PolicyTemplate {
        name: "DynamoDBReadPolicy",
        grants: &[Grant {
            actions: &[
                "dynamodb:GetItem",
                "dynamodb:Scan",
                "dynamodb:Query",
                "dynamodb:BatchGetItem",
                "dynamodb:DescribeTable",
            ],
            resources: &[
                "dynamodb:table/${TableName}",
                "dynamodb:table/${TableName}/index/*",
            ],
            condition: None,
        }],
    },
    PolicyTemplate {
        name: "DynamoDBReconfigurePolicy",
        grants: &[Grant {
            actions: &["dynamodb:UpdateTable"],
            resources: &["dynamodb:table/${TableName}"],
            condition: None,
        }],
    },
    PolicyTemplate {
        name: "DynamoDBRestoreFromBackupPolicy",
        grants: &[
            Grant {
                actions: &["dynamodb:RestoreTableFromBackup"],
                resources: &["dynamodb:table/${TableName}/backup/*"],
                condition: None,
            },
            Grant {
                actions: &[
                    "dynamodb:PutItem",
                    "dynamodb:UpdateItem",
                    "dynamodb:DeleteItem",
                    "dynamodb:GetItem",
                    "dynamodb:Query",
                    "dynamodb:Scan",
                    "dynamodb:BatchWriteItem",
                ],
                resources: &["dynamodb:table/${TableName}"],
                condition: None,
            },
        ],
    },
    PolicyTemplate {
        name: "DynamoDBStreamReadPolicy",
        grants: &[
            Grant {
                actions: &[
                    "dynamodb:DescribeStream",
                    "dynamodb:GetRecords",
                    "dynamodb:GetShardIterator",
                ],
                resources: &["dynamodb:table/${TableName}/stream/${StreamName}"],
                condition: None,
            },
            Grant {
                actions: &["dynamodb:ListStreams"],
                resources: &["dynamodb:table/${TableName}/stream/*"],
                condition: None,
            },
        ],
    },
    PolicyTemplate {
        name: "DynamoDBWritePolicy",
        grants: &[Grant {
            actions: &[
                "dynamodb:PutItem",
                "dynamodb:UpdateItem",
                "dynamodb:BatchWriteItem",
            ],
            resources: &[
                "dynamodb:table/${TableName}",
                "dynamodb:table/${TableName}/index/*",
            ],
            condition: None,
        }],
    },
    PolicyTemplate {
        name: "EC2CopyImagePolicy",
        grants: &[Grant {
            actions: &["ec2:CopyImage"],
            resources: &["ec2:image/${ImageId}"],
            condition: None,
        }],
    },
    PolicyTemplate {
        name: "EC2DescribePolicy",
        grants: &[Grant {
            actions: &["ec2:DescribeRegions", "ec2:DescribeInstances"],
            resources: &["*"],
            condition: None,
        }],
    },
    PolicyTemplate {
        name: "EFSWriteAccessPolicy",
        grants: &[Grant {
            actions: &[
                "elasticfilesystem:ClientMount",
                "elasticfilesystem:ClientWrite",
            ],
            resources: &["elasticfilesystem:file-system/${FileSystem}"],
            condition: Some((
                "StringEquals",
                "elasticfilesystem:AccessPointArn",
                "elasticfilesystem:access-point/${AccessPoint}",
            )),
        }],
    },
    PolicyTemplate {
        name: "EKSDescribePolicy",
        grants: &[Grant {
            actions: &["eks:DescribeCluster", "eks:ListClusters"],
            resources: &["*"],
            condition: None,
        }],
    },
    PolicyTemplate {
        name: "EcsRunTaskPolicy",
        grants: &[Grant {
            actions: &["ecs:RunTask"],
            resources: &["ecs:task-definition/${TaskDefinition}"],
            condition: None,
        }],
    },
    PolicyTemplate {
        name: "ElasticMapReduceAddJobFlowStepsPolicy",
        grants: &[Grant {
            actions: &["elasticmapreduce:AddJobFlowSteps"],
            resources: &["elasticmapreduce:cluster/${ClusterId}"],
            condition: None,
        }],
    },
    PolicyTemplate {
        name: "ElasticMapReduceCancelStepsPolicy",
        grants: &[Grant {
            actions: &["elasticmapreduce:CancelSteps"],
            resources: &["elasticmapreduce:cluster/${ClusterId}"],
            condition: None,
        }],
    },
    PolicyTemplate {
        name: "ElasticMapReduceModifyInstanceFleetPolicy",
        grants: &[Grant {
            actions: &[
                "elasticmapreduce:ModifyInstanceFleet",
                "elasticmapreduce:ListInstanceFleets",
            ],
            resources: &["elasticmapreduce:cluster/${ClusterId}"],
            condition: None,
        }],
    },
    PolicyTemplate {
        name: "ElasticMapReduceModifyInstanceGroupsPolicy",
        grants: &[Grant {
            actions: &[
                "elasticmapreduce:ModifyInstanceGroups",
                "elasticmapreduce:ListInstanceGroups",
            ],
            resources: &["elasticmapreduce:cluster/${ClusterId}"],
            condition: None,
        }],
    },
    PolicyTemplate {
        name: "ElasticMapReduceSetTerminationProtectionPolicy",
        grants: &[Grant {
            actions: &["elasticmapreduce:SetTerminationProtection"],
            resources: &["elasticmapreduce:cluster/${ClusterId}"],
            condition: None,
        }],
    },
    PolicyTemplate {
        name: "ElasticMapReduceTerminateJobFlowsPolicy",
        grants: &[Grant {
            actions: &["elasticmapreduce:TerminateJobFlows"],
            resources: &["elasticmapreduce:cluster/${ClusterId}"],
            condition: None,
        }],
    },
    PolicyTemplate {
        name: "ElasticsearchHttpPostPolicy",
        grants: &[Grant {
            actions: &["es:ESHttpPost", "es:ESHttpPut"],
            resources: &["es:domain/${DomainName}/*"],
            condition: None,
        }],
    },
    PolicyTemplate {
        name: "EventBridgePutEventsPolicy",
        grants: &[Grant {
            actions: &["events:PutEvents"],
            resources: &["events:event-bus/${EventBusName}"],
            condition: None,
        }],
    },
    PolicyTemplate {
        name: "FilterLogEventsPolicy",
        grants: &[Grant {
            actions: &["logs:FilterLogEvents"],
            resources: &["logs:log-group:${LogGroupName}:log-stream:*"],
            condition: None,
        }],
    },
    PolicyTemplate {
        name: "FirehoseCrudPolicy",
        grants: &[Grant {
            actions: &[
                "firehose:CreateDeliveryStream",
                "firehose:DeleteDeliveryStream",
                "firehose:DescribeDeliveryStream",
                "firehose:PutRecord",
                "firehose:PutRecordBatch",
                "firehose:UpdateDestination",
            ],
            resources: &["firehose:deliverystream/${DeliveryStreamName}"],
            condition: None,
        }],
    },
    PolicyTemplate {
        name: "FirehoseWritePolicy",
        grants: &[Grant {
            actions: &["firehose:PutRecord", "firehose:PutRecordBatch"],
            resources: &["firehose:deliverystream/${DeliveryStreamName}"],
            condition: None,
        }],
    },
    PolicyTemplate {
        name: "KMSDecryptPolicy",
        grants: &[Grant {
            actions: &["kms:Decrypt"],
            resources: &["kms:key/${KeyId}"],
            condition: None,
        }],
    },
    PolicyTemplate {
        name: "KMSEncryptPolicy",
        grants: &[Grant {
            actions: &["kms:Encrypt"],
            resources: &["kms:key/${KeyId}"],
            condition: None,
        }],
    },
    PolicyTemplate {
        name: "KMSEncryptPolicy_v2",
        grants: &[Grant {
            actions: &[
                "kms:Encrypt",
                "kms:GenerateDataKey",
                "kms:GenerateDataKeyWithoutPlaintext",
                "kms:GenerateDataKeyPair",
                "kms:GenerateDataKeyPairWithoutPlaintext",
            ],
            resources: &["kms:key/${KeyId}"],
            condition: None,
        }],
    },
    PolicyTemplate {
        name: "KinesisCrudPolicy",
        grants: &[Grant {
            actions: &[
                "kinesis:AddTagsToStream",
                "kinesis:CreateStream",
                "kinesis:DecreaseStreamRetentionPeriod",
                "kinesis:DeleteStream",
                "kinesis:DescribeStream",
                "kinesis:DescribeStreamSummary",
                "kinesis:GetShardIterator",
                "kinesis:IncreaseStreamRetentionPeriod",
                "kinesis:ListTagsForStream",
                "kinesis:MergeShards",
                "kinesis:PutRecord",
                "kinesis:PutRecords",
                "kinesis:SplitShard",
                "kinesis:RemoveTagsFromStream",
            ],
            resources: &["kinesis:stream/${StreamName}"],
            condition: None,
        }],
    },
    PolicyTemplate {
        name: "KinesisStreamReadPolicy",
        grants: &[
            Grant {
                actions: &["kinesis:ListStreams", "kinesis:DescribeLimits"],
                resources: &["kinesis:stream/*"],
                condition: None,
            },
            Grant {
                actions: &[
                    "kinesis:DescribeStream",
                    "kinesis:DescribeStreamSummary",
                    "kinesis:GetRecords",
                    "kinesis:GetShardIterator",
                ],
                resources: &["kinesis:stream/${StreamName}"],
                condition: None,
            },
        ],
    },
    PolicyTemplate {
        name: "LambdaInvokePolicy",
        grants: &[Grant {
            actions: &["lambda:InvokeFunction"],
            resources: &["lambda:function:${FunctionName}*"],
            condition: None,
        }],
    },
    PolicyTemplate {
        name: "MobileAnalyticsWriteOnlyAccessPolicy",
        grants: &[Grant {
            actions: &["mobileanalytics:PutEvents"],
            resources: &["*"],
            condition: None,
        }],
    },
    PolicyTemplate {
        name: "OrganizationsListAccountsPolicy",
        grants: &[Grant {
            actions: &["organizations:ListAccounts"],
            resources: &["*"],
            condition: None,
        }],
    },
    PolicyTemplate {
        name: "PinpointEndpointAccessPolicy",
        grants: &[Grant {
            actions: &[
                "mobiletargeting:GetEndpoint",
                "mobiletargeting:UpdateEndpoint",
                "mobiletargeting:UpdateEndpointsBatch",
            ],
            resources: &["mobiletargeting:apps/${PinpointApplicationId}/endpoints/*"],
            condition: None,
        }],
    },
    PolicyTemplate {
        name: "PollyFullAccessPolicy",
        grants: &[
            Grant {
                actions: &["polly:GetLexicon", "polly:DeleteLexicon"],
                resources: &["polly:lexicon/${LexiconName}"],
                condition: None,
            },
            Grant {
                actions: &[
                    "polly:DescribeVoices",
                    "polly:ListLexicons",
                    "polly:PutLexicon",
                    "polly:SynthesizeSpeech",
                ],
                resources: &["polly:lexicon/*"],
                condition: None,
            },
        ],
    },
    PolicyTemplate {
        name: "RekognitionDetectOnlyPolicy",
        grants: &[Grant {
            actions: &[
                "rekognition:DetectFaces",
                "rekognition:DetectLabels",
                "rekognition:DetectModerationLabels",
                "rekognition:DetectText",
            ],
            resources: &["*"],
            condition: None,
        }],
    },
    PolicyTemplate {
        name: "RekognitionFacesManagementPolicy",
        grants: &[Grant {
            actions: &[
                "rekognition:IndexFaces",
                "rekognition:DeleteFaces",
                "rekognition:SearchFaces",
                "rekognition:SearchFacesByImage",
                "rekognition:ListFaces",
            ],
            resources: &["rekognition:collection/${CollectionId}"],
            condition: None,
        }],
    },
    PolicyTemplate {
        name: "RekognitionFacesPolicy",
        grants: &[Grant {
            actions: &["rekognition:CompareFaces", "rekognition:DetectFaces"],
            resources: &["*"],
            condition: None,
        }],
    },
    PolicyTemplate {
        name: "RekognitionLabelsPolicy",
        grants: &[Grant {
            actions: &[
                "rekognition:DetectLabels",
                "rekognition:DetectModerationLabels",
            ],
            resources: &["*"],
            condition: None,
        }],
    },
    PolicyTemplate {
        name: "RekognitionNoDataAccessPolicy",
        grants: &[Grant {
            actions: &[
                "rekognition:CompareFaces",
                "rekognition:DetectFaces",
                "rekognition:DetectLabels",
                "rekognition:DetectModerationLabels",
            ],
            resources: &["rekognition:collection/${CollectionId}"],
            condition: None,
        }],
    },
    PolicyTemplate {
        name: "RekognitionReadPolicy",
        grants: &[Grant {
            actions: &[
                "rekognition:ListCollections",
                "rekognition:ListFaces",
                "rekognition:SearchFaces",
                "rekognition:SearchFacesByImage",
            ],
            resources: &["rekognition:collection/${CollectionId}"],
            condition: None,
        }],
    },
    PolicyTemplate {
        name: "RekognitionWriteOnlyAccessPolicy",
        grants: &[Grant {
            actions: &["rekognition:CreateCollection", "rekognition:IndexFaces"],
            resources: &["rekognition:collection/${CollectionId}"],
            condition: None,
        }],
    },
    PolicyTemplate {
        name: "Route53ChangeResourceRecordSetsPolicy",
        grants: &[Grant {
            actions: &["route53:ChangeResourceRecordSets"],
            resources: &["arn:${AWS::Partition}:route53:::hostedzone/${HostedZoneId}"],
            condition: None,
        }],
    },
    PolicyTemplate {
        name: "S3CrudPolicy",
        grants: &[Grant {
            actions: &[
                "s3:GetObject",
                "s3:ListBucket",
                "s3:GetBucketLocation",
                "s3:GetObjectVersion",
                "s3:PutObject",
                "s3:PutObjectAcl",
                "s3:GetLifecycleConfiguration",
                "s3:PutLifecycleConfiguration",
                "s3:DeleteObject",
            ],
            resources: &[
                "arn:${AWS::Partition}:s3:::${BucketName}",
                "arn:${AWS::Partition}:s3:::${BucketName}/*",
            ],
            condition: None,
        }],
    },
    PolicyTemplate {
        name: "S3FullAccessPolicy",
        grants: &[
            Grant {
                actions: &[
                    "s3:GetObject",
                    "s3:GetObjectAcl",
                    "s3:GetObjectVersion",
                    "s3:PutObject",
                    "s3:PutObjectAcl",
                    "s3:DeleteObject",
                    "s3:DeleteObjectTagging",
                    "s3:DeleteObjectVersionTagging",
                    "s3:GetObjectTagging",
                    "s3:GetObjectVersionTagging",
                    "s3:PutObjectTagging",
                    "s3:PutObjectVersionTagging",
                ],
                resources: &["arn:${AWS::Partition}:s3:::${BucketName}/*"],
                condition: None,
            },
            Grant {
                actions: &[
                    "s3:ListBucket",
                    "s3:GetBucketLocation",
                    "s3:GetLifecycleConfiguration",
                    "s3:PutLifecycleConfiguration",
                ],
                resources: &["arn:${AWS::Partition}:s3:::${BucketName}"],
                condition: None,
            },
        ],
    },
    PolicyTemplate {
        name: "S3ReadPolicy",
        grants: &[Grant {
            actions: &[
                "s3:GetObject",
                "s3:ListBucket",
                "s3:GetBucketLocation",
                "s3:GetObjectVersion",
                "s3:GetLifecycleConfiguration",
            ],
            resources: &[
                "arn:${AWS::Partition}:s3:::${BucketName}",
                "arn:${AWS::Partition}:s3:::${BucketName}/*",
            ],
            condition: None,
        }],
    },
    PolicyTemplate {
        name: "S3WritePolicy",
        grants: &[Grant {
            actions: &[
                "s3:PutObject",
                "s3:PutObjectAcl",
                "s3:PutLifecycleConfiguration",
            ],
            resources: &[
                "arn:${AWS::Partition}:s3:::${BucketName}",
                "arn:${AWS::Partition}:s3:::${BucketName}/*",
            ],
            condition: None,
        }],
    },
    PolicyTemplate {
        name: "SESBulkTemplatedCrudPolicy",
        grants: &[Grant {
            actions: &[
                "ses:GetIdentityVerificationAttributes",
                "ses:SendEmail",
                "ses:SendRawEmail",
                "ses:SendTemplatedEmail",
                "ses:SendBulkTemplatedEmail",
                "ses:VerifyEmailIdentity",
            ],
            resources: &["ses:identity/${IdentityName}"],
            condition: None,
        }],
    },
    PolicyTemplate {
        name: "SESBulkTemplatedCrudPolicy_v2",
        grants: &[
            Grant {
                actions: &[
                    "ses:SendEmail",
                    "ses:SendRawEmail",
                    "ses:SendTemplatedEmail",
                    "ses:SendBulkTemplatedEmail",
                ],
                resources: &[
                    "ses:identity/${IdentityName}",
                    "ses:template/${TemplateName}",
                ],
                condition: None,
            },
            Grant {
                actions: &[
                    "ses:GetIdentityVerificationAttributes",
                    "ses:VerifyEmailIdentity",
                ],
                resources: &["*"],
                condition: None,
            },
        ],
    },
    PolicyTemplate {
        name: "SESCrudPolicy",
        grants: &[Grant {
            actions: &[
                "ses:GetIdentityVerificationAttributes",
                "ses:SendEmail",
                "ses:SendRawEmail",
                "ses:VerifyEmailIdentity",
            ],
            resources: &["ses:identity/${IdentityName}"],
            condition: None,
        }],
    },
    PolicyTemplate {
        name: "SESEmailTemplateCrudPolicy",
        grants: &[Grant {
            actions: &[
                "ses:CreateTemplate",
                "ses:GetTemplate",
                "ses:ListTemplates",
                "ses:UpdateTemplate",
                "ses:DeleteTemplate",
                "ses:TestRenderTemplate",
            ],
            resources: &["*"],
            condition: None,
        }],
    },
    PolicyTemplate {
        name: "SESSendBouncePolicy",
        grants: &[Grant {
            actions: &["ses:SendBounce"],
            resources: &["ses:identity/${IdentityName}"],
            condition: None,
        }],
    },
    PolicyTemplate {
        name: "SNSCrudPolicy",
        grants: &[Grant {
            actions: &[
                "sns:ListSubscriptionsByTopic",
                "sns:CreateTopic",
                "sns:SetTopicAttributes",
                "sns:Subscribe",
                "sns:Publish",
            ],
            resources: &["sns:${TopicName}*"],
            condition: None,
        }],
    },
    PolicyTemplate {
        name: "SNSPublishMessagePolicy",
        grants: &[Grant {
            actions: &["sns:Publish"],
            resources: &["sns:${TopicName}"],
            condition: None,
        }],
    },
    PolicyTemplate {
        name: "SQSPollerPolicy",
        grants: &[Grant {
            actions: &[
                "sqs:ChangeMessageVisibility",
                "sqs:ChangeMessageVisibilityBatch",
                "sqs:DeleteMessage",
                "sqs:DeleteMessageBatch",
                "sqs:GetQueueAttributes",
                "sqs:ReceiveMessage",
            ],
            resources: &["sqs:${QueueName}"],
            condition: None,
        }],
    },
    PolicyTemplate {
        name: "SQSSendMessagePolicy",
        grants: &[Grant {
            actions: &["sqs:SendMessage*"],
            resources: &["sqs:${QueueName}"],
            condition: None,
        }],
    },
    PolicyTemplate {
        name: "SSMParameterReadPolicy",
        grants: &[
            Grant {
                actions: &["ssm:DescribeParameters"],
                resources: &["*"],
                condition: None,
            },
            Grant {
                actions: &[
                    "ssm:GetParameters",
                    "ssm:GetParameter",
                    "ssm:GetParametersByPath",
                ],
                resources: &["ssm:parameter/${ParameterName}"],
                condition: None,
            },
        ],
    },
    PolicyTemplate {
        name: "SSMParameterWithSlashPrefixReadPolicy",
        grants: &[
            Grant {
                actions: &["ssm:DescribeParameters"],
                resources: &["*"],
                condition: None,
            },
            Grant {
                actions: &[
                    "ssm:GetParameters",
                    "ssm:GetParameter",
                    "ssm:GetParametersByPath",
                ],
                resources: &["ssm:parameter${ParameterName}"],
                condition: None,
            },
        ],
    },
    PolicyTemplate {
        name: "SageMakerCreateEndpointConfigPolicy",
        grants: &[Grant {
            actions: &["sagemaker:CreateEndpointConfig"],
            resources: &["sagemaker:endpoint-config/${EndpointConfigName}"],
            condition: None,
        }],
    },
    PolicyTemplate {
        name: "SageMakerCreateEndpointPolicy",
        grants: &[Grant {
            actions: &["sagemaker:CreateEndpoint"],
            resources: &["sagemaker:endpoint/${EndpointName}"],
            condition: None,
        }],
    },
    PolicyTemplate {
        name: "ServerlessRepoReadWriteAccessPolicy",
        grants: &[Grant {
            actions: &[
                "serverlessrepo:CreateApplication",
                "serverlessrepo:CreateApplicationVersion",
                "serverlessrepo:UpdateApplication",
                "serverlessrepo:GetApplication",
                "serverlessrepo:ListApplications",
                "serverlessrepo:ListApplicationVersions",
                "serverlessrepo:ListApplicationDependencies",
            ],
            resources: &["serverlessrepo:applications/*"],
            condition: None,
        }],
    },
    PolicyTemplate {
        name: "StepFunctionsCallbackPolicy",
        grants: &[Grant {
            actions: &[
                "states:SendTaskFailure",
                "states:SendTaskHeartbeat",
                "states:SendTaskSuccess",
            ],
            resources: &["states:stateMachine:${StateMachineName}"],
            condition: None,
        }],
    },
    PolicyTemplate {
        name: "StepFunctionsExecutionPolicy",
        grants: &[Grant {
            actions: &["states:StartExecution"],
            resources: &["states:stateMachine:${StateMachineName}"],
            condition: None,
        }],
    },
    PolicyTemplate {
        name: "StepFunctionsExecutionPolicy_v2",
        grants: &[Grant {
            actions: &["states:StartExecution", "states:StartSyncExecution"],
            resources: &["states:stateMachine:${StateMachineName}"],
            condition: None,
        }],
    },
    PolicyTemplate {
        name: "TextractDetectAnalyzePolicy",
        grants: &[Grant {
            actions: &[
                "textract:DetectDocumentText",
                "textract:StartDocumentTextDetection",
                "textract:StartDocumentAnalysis",
                "textract:AnalyzeDocument",
            ],
            resources: &["*"],
            condition: None,
        }],
    },
    PolicyTemplate {
        name: "TextractGetResultPolicy",
        grants: &[Grant {
            actions: &[
                "textract:GetDocumentTextDetection",
                "textract:GetDocumentAnalysis",
            ],
            resources: &["*"],
            condition: None,
        }],
    },
    PolicyTemplate {
        name: "TextractPolicy",
        grants: &[Grant {
            actions: &["textract:*"],
            resources: &["*"],
            condition: None,
        }],
    },
    PolicyTemplate {
        name: "VPCAccessPolicy",
        grants: &[Grant {
            actions: &[
                "ec2:CreateNetworkInterface",
                "ec2:DeleteNetworkInterface",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DetachNetworkInterface",
            ],
            resources: &["*"],
            condition: None,
        }],
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_are_sorted_and_found_by_name() {
        assert!(TEMPLATES.windows(2).all(|w| w[0].name < w[1].name));
        assert_eq!(TEMPLATES.len(), 81);
        assert!(PolicyTemplate::find("S3ReadPolicy").is_some());
        assert!(PolicyTemplate::find("S3ReadPolicyX").is_none());
    }

    #[test]
    fn parameters_are_the_names_the_patterns_use() {
        let stream = PolicyTemplate::find("DynamoDBStreamReadPolicy").unwrap();
        assert_eq!(stream.parameters(), ["TableName", "StreamName"]);
        let rotation = PolicyTemplate::find("AWSSecretsManagerRotationPolicy").unwrap();
        assert_eq!(rotation.parameters(), ["FunctionName"]);
        assert!(PolicyTemplate::find("VPCAccessPolicy")
            .unwrap()
            .parameters()
            .is_empty());
    }

    #[test]
    fn short_patterns_expand_to_the_stacks_own_arns() {
        assert_eq!(
            sub_template("sqs:${QueueName}"),
            "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:${QueueName}"
        );
        for literal in [
            "*",
            "${SecretArn}",
            "arn:${AWS::Partition}:s3:::${BucketName}",
        ] {
            assert_eq!(sub_template(literal), literal);
        }
    }
}

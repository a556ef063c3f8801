// Package iam turns the accounts list into typed IAM policy documents and
// renders them as canonical JSON, Terraform and CloudFormation.
//
// Pipeline position: accounts.Load -> iam.Build (documents, quota checks) ->
// Render (files for roles/generated/) -> Compare (against what is on disk).
// The other way round, ReadDeployed reads the CloudFormation output back
// (from an fs.FS the caller opens) as AWS would hold it once deployed, and
// EvaluateTrust/EvaluateIdentity/CanAssume decide an sts:AssumeRole as
// IAM's policy evaluation does: the emulator's CloudWatch rehearsal.
// Nothing here opens files or talks to AWS.
//
// Invariants:
//   - documents are built from typed structs, never from text templates;
//   - every document passes Validate before it is rendered;
//   - rendering is deterministic: the same Set gives the same bytes;
//   - every role in Set.Roles appears exactly once in the task-role policy.
package iam

"""Commands that look at a deployed stack (found through CloudFormation): `tuneline status`, `tuneline report`."""

"""Pure job logic: which S3 keys start a job, how jobs are named, planned, guarded and measured."""

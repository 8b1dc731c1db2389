"""The pipeline's steps: each takes plain data and the AWS clients it needs, so handlers stay thin."""

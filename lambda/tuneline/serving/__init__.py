"""Serving a trained custom model: Provisioned Throughput or an on-demand deployment, a smoke test, a TTL.

The customize workflow buys serving with AWS SDK tasks; the Lambdas around those tasks use this package:
`request` (what to buy, with names, tokens and tags), `smoke` (call the model with prompts from its own data),
`release` (delete what a failed execution bought), `janitor` (delete expired serving on a schedule) and
`messages` (the alerts).
"""

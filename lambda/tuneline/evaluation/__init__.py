"""Scoring model responses against references and comparing two models: one engine for the Lambdas and the CLI.

Metric definitions and the comparison method: docs/evaluation-scores.md.
"""

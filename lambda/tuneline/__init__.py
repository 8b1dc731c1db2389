"""Tuneline: Amazon Bedrock model customization pipelines, and the dataset checks they share with the CLI."""

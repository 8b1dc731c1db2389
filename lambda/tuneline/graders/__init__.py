"""Reinforcement fine-tuning graders: the settings a profile chooses, the rule-based and LLM-judge scorers, the
request/response contract Bedrock calls a grader Lambda with (docs/bedrock.md §13), and the checks run before a
job (grader dry run, baseline of the base model)."""

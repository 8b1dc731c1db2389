"""Simulated Amazon Bedrock: customization jobs, custom models, throughput, deployments, imports, tags, and
inference (bedrock-runtime InvokeModel and Converse) on what it serves.

moto 5.2.5's Bedrock keeps jobs InProgress forever, writes no output, cannot find a job by ARN and has no
throughput, deployment, import or tagging calls for them; its bedrock-runtime answers `{}` and has no Converse.
This package replaces both behind moto's own HTTP routing (`local.bedrock.api`, `local.bedrock.runtime_api`), so
boto3, the Lambdas and the Step Functions tasks all talk to the same simulation.
"""

from local.bedrock.simulator import BedrockSimulator, SimulationSettings

__all__ = ["BedrockSimulator", "SimulationSettings"]

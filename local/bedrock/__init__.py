"""Simulated Amazon Bedrock control plane: customization jobs, custom models, throughput, deployments, imports.

moto 5.2.5's Bedrock keeps jobs InProgress forever, writes no output, cannot find a job by ARN and has no
throughput, deployment or import calls. This package replaces it behind moto's own HTTP routing (see
`local.bedrock.api`), so boto3, the Lambdas and the Step Functions tasks all talk to the same simulation.
"""

from local.bedrock.simulator import BedrockSimulator, SimulationSettings

__all__ = ["BedrockSimulator", "SimulationSettings"]

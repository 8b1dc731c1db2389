"""Which Service Quota a refused purchase needs raised, named as the Service Quotas console names it.

Quota names from the Bedrock quota list (service code `bedrock`); the model part is the base model's display
name, which is how the console words it.
"""

from __future__ import annotations

SERVICE_QUOTAS_CODE = "bedrock"


def quota_to_raise(kind: str, has_commitment: bool, model_name: str) -> str:
    if kind == "deployment":
        return f"On-demand custom model deployments for {model_name}"
    if has_commitment:
        return f"Model units per provisioned model for {model_name}"
    return f"No-commitment model units for Provisioned Throughput created for base model {model_name}"

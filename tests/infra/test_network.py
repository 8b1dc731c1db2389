"""The VPC reaches AWS only through endpoints; jobs and Lambdas share one self-referencing group."""

from __future__ import annotations

from typing import Any

from aws_cdk.assertions import Template

from stacks.constructs.network import INTERFACE_ENDPOINT_SERVICES
from tests.infra.synth import render, resources_of_type


def _endpoint_services(template_json: dict[str, Any]) -> dict[str, str]:
    found = {}
    for endpoint in resources_of_type(template_json, "AWS::EC2::VPCEndpoint").values():
        name = render(endpoint["Properties"]["ServiceName"])
        found[name.rsplit(".", 1)[-1] if "bedrock-runtime" not in name else "bedrock-runtime"] = endpoint[
            "Properties"
        ].get("VpcEndpointType", "Gateway")
    return found


def test_interface_endpoints_for_every_service_the_pipeline_calls(template_json: dict[str, Any]) -> None:
    services = _endpoint_services(template_json)
    for service in INTERFACE_ENDPOINT_SERVICES:
        assert services.get(service) == "Interface", service
    assert {"bedrock", "bedrock-runtime", "states", "sns", "kms", "logs", "sts"} <= set(services)


def test_s3_is_a_gateway_endpoint(template_json: dict[str, Any]) -> None:
    assert _endpoint_services(template_json)["s3"] == "Gateway"


def test_subnets_have_no_route_to_the_internet(template_json: dict[str, Any]) -> None:
    assert not resources_of_type(template_json, "AWS::EC2::InternetGateway")
    assert not resources_of_type(template_json, "AWS::EC2::NatGateway")


def test_workload_security_group_references_itself(template_json: dict[str, Any]) -> None:
    ingress = resources_of_type(template_json, "AWS::EC2::SecurityGroupIngress").values()
    self_refs = [
        i
        for i in ingress
        if i["Properties"]["SourceSecurityGroupId"] == i["Properties"]["GroupId"]
        or render_ref(i["Properties"]["SourceSecurityGroupId"]) == render_ref(i["Properties"]["GroupId"])
    ]
    assert self_refs, "the job security group must allow traffic from itself"


def test_lambdas_run_in_the_vpc(template: Template, template_json: dict[str, Any]) -> None:
    functions = resources_of_type(template_json, "AWS::Lambda::Function").values()
    assert functions
    assert all("VpcConfig" in f["Properties"] for f in functions)


def render_ref(value: Any) -> str:
    return str(value)

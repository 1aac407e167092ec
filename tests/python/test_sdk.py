"""The Python SDK of docker-host (pulumi_docker_host), generated from the schema: it installs and imports, its
argument types are the schema's, and a program using it registers DockerHost with the inputs the provider
takes, under Pulumi's Python mocks (no engine, no host). The same SDK drives a sandbox host through the real
engine in tests/engine/consumerPython.test.ts, which runs this file with:

  DOCKER_HOST_SCHEMA   the schema the SDK was generated from (`pulumi package get-schema`)
  DOCKER_HOST_SDK      the generated SDK's directory (setup.py, pulumi_docker_host/); also on PYTHONPATH
"""

import inspect
import json
import os
import re
import subprocess
import sys

import pulumi
import pytest

import pulumi_docker_host as docker_host

SCHEMA = json.load(open(os.environ["DOCKER_HOST_SCHEMA"], encoding="utf-8"))
SDK = os.environ["DOCKER_HOST_SDK"]
TOKEN = "docker-host:index:DockerHost"


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def class_of(token: str):
    """The SDK class for a schema type token, e.g. docker-host:index:SshConnection -> SshConnectionArgs."""
    return getattr(docker_host, token.split(":")[-1] + "Args")


def test_installs_as_a_package(tmp_path):
    res = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--disable-pip-version-check", "--target", str(tmp_path), SDK],
        capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stdout + res.stderr
    plugin = json.load(open(tmp_path / "pulumi_docker_host" / "pulumi-plugin.json", encoding="utf-8"))
    assert plugin == {"resource": True, "name": "docker-host", "version": SCHEMA["version"]}


def test_components_and_their_tokens():
    assert issubclass(docker_host.DockerHost, pulumi.ComponentResource)
    assert issubclass(docker_host.RegistryCache, pulumi.ComponentResource)
    for name, resource in SCHEMA["resources"].items():
        assert resource.get("isComponent") is True, name
        cls = getattr(docker_host, name.split(":")[-1])
        assert name in inspect.getsource(cls)


@pytest.mark.parametrize("token", sorted(SCHEMA["resources"]))
def test_component_arguments_are_the_schema_inputs(token):
    resource = SCHEMA["resources"][token]
    args_class = getattr(docker_host, token.split(":")[-1] + "Args")
    params = inspect.signature(args_class.__init__).parameters
    want = {snake(p) for p in resource["inputProperties"]}
    assert set(params) - {"__self__"} == want
    for prop in resource.get("requiredInputs", []):
        assert params[snake(prop)].default is inspect.Parameter.empty, f"{prop} should be required"
    for prop in set(resource["inputProperties"]) - set(resource.get("requiredInputs", [])):
        assert params[snake(prop)].default is None, f"{prop} should be optional"


@pytest.mark.parametrize("token", sorted(t for t, s in SCHEMA["types"].items() if s["type"] == "object"))
def test_object_types_follow_the_schema(token):
    spec = SCHEMA["types"][token]
    cls = getattr(docker_host, token.split(":")[-1] + "Args", None)
    if cls is None:  # an output-only type, e.g. DockerFacts
        cls = getattr(docker_host.outputs, token.split(":")[-1])
    params = inspect.signature(cls.__init__).parameters
    assert set(params) - {"__self__"} == {snake(p) for p in spec["properties"]}


@pytest.mark.parametrize("token", sorted(t for t, s in SCHEMA["types"].items() if "enum" in s))
def test_enums_carry_the_schema_values(token):
    enum = getattr(docker_host, token.split(":")[-1])
    assert sorted(e.value for e in enum) == sorted(v["value"] for v in SCHEMA["types"][token]["enum"])


def test_a_wrong_argument_is_a_type_error():
    with pytest.raises(TypeError):
        docker_host.SshConnectionArgs(host="10.0.0.5", private_key="k", adress="typo")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        docker_host.DockerHostArgs()  # type: ignore[call-arg]  # connection is required


def test_annotations_name_the_input_types():
    params = inspect.signature(docker_host.DockerHostArgs.__init__).parameters
    assert "SshConnectionArgs" in str(params["connection"].annotation)
    assert "DataDiskArgs" in str(params["data_disk"].annotation)
    assert "DaemonSettingsArgs" in str(params["daemon"].annotation)
    assert "bool" in str(params["allow_insecure_tcp"].annotation)


# The signature Pulumi's wire format gives a secret value ({SIG: SECRET_SIG, "value": …}).
SIG = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"


def unwrap_secret(value):
    """(True, the value) for a secret as the mock monitor sees it, else (False, value)."""
    if isinstance(value, dict) and value.get(SIG) == SECRET_SIG:
        return True, value["value"]
    return False, value


class Recorder(pulumi.runtime.Mocks):
    """Records what the program registers; the component answers like the provider would."""

    def __init__(self):
        self.registered = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        self.registered.append(args)
        outputs = {}
        if args.typ == TOKEN:
            outputs.update({
                "daemonJson": "{}\n",
                "dropIn": "",
                "lastAction": "restart",
                "facts": {"serverVersion": "20.10.24", "storageDriver": "overlay2", "dockerRootDir": "/data/docker",
                          "loggingDriver": "json-file", "liveRestore": True},
                "dockerHostUrl": "ssh://root@10.0.0.5:22",
            })
        return f"{args.name}-id", outputs

    def call(self, args: pulumi.runtime.MockCallArgs):
        return {}, None


RECORDER = Recorder()
pulumi.runtime.set_mocks(RECORDER, project="consumer", stack="test", preview=False)


@pulumi.runtime.test
def test_a_program_registers_the_component_with_camel_case_inputs():
    host = docker_host.DockerHost(
        "web-1",
        connection=docker_host.SshConnectionArgs(
            host="10.0.0.5",
            user="root",
            private_key=pulumi.Output.secret("-----BEGIN OPENSSH PRIVATE KEY-----\nfake\n"),
            host_key="ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeFakeFakeFakeFakeFakeFakeFakeFakeFakeFake",
        ),
        data_disk=docker_host.DataDiskArgs(device="/dev/vdb", filesystem=docker_host.DataDiskFilesystem.XFS),
        daemon=docker_host.DaemonSettingsArgs(log_max_size="20m", registry_mirrors=["https://mirror.example.com"]),
    )

    def check(values):
        facts, action, url = values
        registered = [r for r in RECORDER.registered if r.typ == TOKEN and r.name == "web-1"]
        assert len(registered) == 1
        inputs = registered[0].inputs
        # The secret key makes the whole connection travel as a secret, as the provider keeps it.
        secret, connection = unwrap_secret(inputs["connection"])
        assert secret, "the connection reached the engine in plain text"
        assert connection["host"] == "10.0.0.5"
        assert connection["hostKey"].startswith("ssh-ed25519 ")
        assert connection["privateKey"].startswith("-----BEGIN OPENSSH PRIVATE KEY-----")
        assert inputs["dataDisk"] == {"device": "/dev/vdb", "filesystem": "xfs"}
        assert inputs["daemon"] == {"logMaxSize": "20m", "registryMirrors": ["https://mirror.example.com"]}
        # Under the mocks a component's object output comes back as a dict with the SDK's (snake_case) names.
        get = (lambda k: facts[k]) if isinstance(facts, dict) else (lambda k: getattr(facts, k))
        assert (get("storage_driver"), get("docker_root_dir"), get("live_restore")) == ("overlay2", "/data/docker", True)
        assert action == "restart"
        assert url == "ssh://root@10.0.0.5:22"

    return pulumi.Output.all(host.facts, host.last_action, host.docker_host_url).apply(check)


@pulumi.runtime.test
def test_registry_cache_takes_connection_args():
    cache = docker_host.RegistryCache(
        "cache-1",
        connection=docker_host.SshConnectionArgs(host="10.0.0.6", private_key=pulumi.Output.secret("k")),
        port=5000,
    )

    def check(_):
        registered = [r for r in RECORDER.registered if r.typ == "docker-host:index:RegistryCache"]
        assert len(registered) == 1
        secret, connection = unwrap_secret(registered[0].inputs["connection"])
        assert secret and connection["host"] == "10.0.0.6"
        assert registered[0].inputs["port"] == 5000

    return cache.urn.apply(check)

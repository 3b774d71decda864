"""The Helm chart (deploy/helm/inventory): linted and rendered with every values file in its
``ci/`` folder and with its defaults, each rendered manifest checked against the Kubernetes
schemas offline (kubernetes-validate), and the parts operators rely on checked one by one:
probes, the migrate hook, the locked-down pods, the pools, the budgets, the drain, KEDA and
the secrets' wiring.  No cluster runs here; helm builds from the Go module proxy."""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from app.config import load_settings, pool_queues

ROOT = Path(__file__).resolve().parents[1]
CHART = ROOT / "deploy" / "helm" / "inventory"
RELEASE = "prod"
NAMESPACE = "inventory"
FULLNAME = f"{RELEASE}-inventory"
# The newest Kubernetes whose schemas the package ships; helm renders for the same.
KUBERNETES = kubernetes_validate.latest_version()
POOLS = ("high", "default", "low")

# The values files: the chart's defaults and each ci/<case>-values.yaml.
CASES: dict[str, Path | None] = {"defaults": None} | {
    path.name.removesuffix("-values.yaml"): path
    for path in sorted((CHART / "ci").glob("*-values.yaml"))
}

# Custom resources, not in the Kubernetes schemas: checked by test_custom_resources.
CUSTOM = {
    "ServiceMonitor": "monitoring.coreos.com/v1",
    "PrometheusRule": "monitoring.coreos.com/v1",
    "ScaledObject": "keda.sh/v1alpha1",
}

Doc = dict[str, Any]


class _StrictLoader(yaml.SafeLoader):
    """Refuses a key given twice in one mapping, as the API server's decoder does."""


def _mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    keys = [loader.construct_object(key, deep=deep) for key, _ in node.value]
    twice = sorted({str(k) for k in keys if keys.count(k) > 1})
    if twice:
        raise yaml.constructor.ConstructorError(
            None, None, f"keys given twice: {twice}", node.start_mark
        )
    return loader.construct_mapping(node, deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


# --- helpers ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def helm() -> Path:
    """helm, built by the script `make install` runs (a no-op once cached)."""
    subprocess.run(["bash", str(ROOT / "scripts" / "install-helm.sh")], check=True)
    bin_dir = Path(os.environ.get("INVENTORY_HELM_BIN", Path.home() / ".cache/inventory/bin"))
    return bin_dir / "helm"


def _values_args(case: str) -> list[str]:
    path = CASES[case]
    return ["-f", str(path)] if path else []


@pytest.fixture(scope="session")
def rendered(helm: Path) -> dict[str, list[Doc]]:
    """Every case's manifests, rendered once per session."""
    out: dict[str, list[Doc]] = {}
    for case in CASES:
        result = subprocess.run(
            [str(helm), "template", RELEASE, str(CHART), "--namespace", NAMESPACE,
             "--kube-version", KUBERNETES, *_values_args(case)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert result.returncode == 0, f"{case}: {result.stderr}"
        out[case] = [d for d in yaml.load_all(result.stdout, Loader=_StrictLoader) if d]
    return out


def _merged(base: Any, over: Any) -> Any:
    if isinstance(base, dict) and isinstance(over, dict):
        return {k: _merged(base.get(k), v) if k in base else v for k, v in over.items()} | {
            k: v for k, v in base.items() if k not in over
        }
    return copy.deepcopy(over)


def values(case: str) -> dict[str, Any]:
    """The values helm used for a case: the chart's, overlaid with the case's file."""
    base = yaml.safe_load((CHART / "values.yaml").read_text())
    path = CASES[case]
    return _merged(base, yaml.safe_load(path.read_text())) if path else base


def kinds(docs: list[Doc], kind: str) -> list[Doc]:
    return [d for d in docs if d["kind"] == kind]


def named(docs: list[Doc], kind: str, name: str) -> Doc:
    found = [d for d in kinds(docs, kind) if d["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind} {name}: {len(found)} rendered"
    return found[0]


def component(doc: Doc) -> str:
    return doc["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/component"]


def deployments(docs: list[Doc], comp: str) -> list[Doc]:
    return [d for d in kinds(docs, "Deployment") if component(d) == comp]


def workloads(docs: list[Doc]) -> Iterator[Doc]:
    """Everything that makes pods."""
    yield from (d for d in docs if d["kind"] in ("Deployment", "Job"))


def container(doc: Doc) -> Doc:
    (only,) = doc["spec"]["template"]["spec"]["containers"]
    return only


def env(doc: Doc) -> dict[str, Any]:
    """A workload's environment: name -> value, or its valueFrom."""
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container(doc)["env"]}


def arg_after(doc: Doc, flag: str) -> str:
    args = container(doc)["args"]
    return args[args.index(flag) + 1]


def mounted_from(doc: Doc, path: str) -> tuple[Doc, str]:
    """The volume a file path is on, and the path inside that volume."""
    pod = doc["spec"]["template"]["spec"]
    for mount in container(doc)["volumeMounts"]:
        prefix = mount["mountPath"].rstrip("/") + "/"
        if path.startswith(prefix):
            (volume,) = [v for v in pod["volumes"] if v["name"] == mount["name"]]
            return volume, path.removeprefix(prefix)
    raise AssertionError(f"{path} is on no volume of {doc['metadata']['name']}")


def secret_key_of(doc: Doc, path: str) -> tuple[str, str]:
    """The Secret and key whose value a pod reads at ``path``."""
    volume, inside = mounted_from(doc, path)
    sources = (
        [s["secret"] for s in volume["projected"]["sources"]]
        if "projected" in volume
        else [{"name": volume["secret"]["secretName"], **volume["secret"]}]
    )
    for source in sources:
        items = source.get("items")
        if items is None:  # the whole Secret: one file per key
            return source["name"], inside
        for item in items:
            if item["path"] == inside:
                return source["name"], item["key"]
    raise AssertionError(f"{path}: no key of volume {volume['name']} lands there")


def selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


# --- the chart as a whole --------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES)
def test_chart_lints(helm: Path, case: str) -> None:
    result = subprocess.run(
        [str(helm), "lint", "--strict", str(CHART), "--kube-version", KUBERNETES,
         *_values_args(case)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 chart(s) failed" in result.stdout


@pytest.mark.parametrize("case", CASES)
def test_manifests_match_kubernetes_schemas(rendered: dict[str, list[Doc]], case: str) -> None:
    checked, errors = 0, []
    for doc in rendered[case]:
        if doc["kind"] in CUSTOM:
            continue
        try:
            # strict: no field the schema does not know (a typo is an error, not ignored)
            kubernetes_validate.validate(doc, KUBERNETES, strict=True)
            checked += 1
        except kubernetes_validate.ValidationError as exc:
            where = "/".join(str(p) for p in exc.path)
            errors.append(f"{doc['kind']} {doc['metadata']['name']} at {where}: {exc.message}")
        except kubernetes_validate.SchemaNotFoundError as exc:
            errors.append(exc.message)
    assert not errors, "\n".join(errors)
    # ServiceAccount, config Secret(s), the API's Deployment and Service, pools, schedulers,
    # the migrate Job and the budgets at the least
    assert checked >= 10


def test_values_schema_refuses_a_misspelt_pool(helm: Path) -> None:
    result = subprocess.run(
        [str(helm), "template", RELEASE, str(CHART), "--set", "workers.pools.hihg.threads=2"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode != 0
    assert "hihg" in result.stderr


@pytest.mark.parametrize("case", CASES)
def test_custom_resources(rendered: dict[str, list[Doc]], case: str) -> None:
    docs = rendered[case]
    for doc in docs:
        if doc["kind"] not in CUSTOM:
            continue
        assert doc["apiVersion"] == CUSTOM[doc["kind"]], doc["metadata"]["name"]
        assert doc["metadata"]["name"].startswith(FULLNAME)
    for monitor in kinds(docs, "ServiceMonitor"):
        # It finds a Service of this release by labels, and that Service's named port.
        matching = [
            s
            for s in kinds(docs, "Service")
            if selects(monitor["spec"]["selector"]["matchLabels"], s["metadata"]["labels"])
        ]
        assert len(matching) == 1, monitor["metadata"]["name"]
        ports = {p["name"] for p in matching[0]["spec"]["ports"]}
        for endpoint in monitor["spec"]["endpoints"]:
            assert endpoint["port"] in ports
            assert endpoint["path"] == "/metrics"
    for scaled in kinds(docs, "ScaledObject"):
        target = named(docs, "Deployment", scaled["spec"]["scaleTargetRef"]["name"])
        assert component(target) == "worker"
        spec = scaled["spec"]
        assert 0 <= spec["minReplicaCount"] <= spec["maxReplicaCount"]
        (trigger,) = spec["triggers"]
        assert trigger["type"] == "prometheus"
        meta = trigger["metadata"]
        assert meta["serverAddress"].startswith("http")
        # KEDA's trigger metadata is a map of strings.
        assert all(isinstance(v, str) for v in meta.values())
        assert int(meta["threshold"]) > 0
    for rule in kinds(docs, "PrometheusRule"):
        assert rule["spec"]["groups"]
        for group in rule["spec"]["groups"]:
            assert group["name"] and group["rules"]


def test_defaults_need_no_custom_resource(rendered: dict[str, list[Doc]]) -> None:
    # A cluster without the Prometheus operator or KEDA installs the defaults.
    assert not [d for d in rendered["defaults"] if d["kind"] in CUSTOM]


# --- what runs -------------------------------------------------------------------------------


def test_api_serves_on_8000_with_readiness_and_liveness(rendered: dict[str, list[Doc]]) -> None:
    docs = rendered["defaults"]
    (api,) = deployments(docs, "api")
    c = container(api)
    assert c["args"][0] == "api"
    assert c["ports"] == [{"name": "http", "containerPort": 8000, "protocol": "TCP"}]
    assert env(api)["INVENTORY_API__HOST"] == "0.0.0.0"
    assert c["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert c["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    service = named(docs, "Service", f"{FULLNAME}-api")
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    assert selects(service["spec"]["selector"], api["spec"]["template"]["metadata"]["labels"])


@pytest.mark.parametrize("case", CASES)
def test_workers_and_schedulers_are_alive_only_while_their_metrics_answer(
    rendered: dict[str, list[Doc]], case: str
) -> None:
    v = values(case)
    for comp, section, host_env in [
        ("worker", "workers", "INVENTORY_TASKS__METRICS_HOST"),
        ("scheduler", "schedulers", "INVENTORY_SCHEDULER__METRICS_HOST"),
    ]:
        port = v[section]["metricsPort"]
        for doc in deployments(rendered[case], comp):
            c = container(doc)
            assert arg_after(doc, "--metrics-port") == str(port)
            assert {"name": "metrics", "containerPort": port, "protocol": "TCP"} in c["ports"]
            # The kubelet and Prometheus reach the port from outside the pod.
            assert env(doc)[host_env] == "0.0.0.0"
            for probe in ("startupProbe", "livenessProbe"):
                assert c[probe]["httpGet"] == {"path": "/healthz", "port": "metrics"}


@pytest.mark.parametrize("case", CASES)
def test_every_pod_runs_locked_down(rendered: dict[str, list[Doc]], case: str) -> None:
    pods = list(workloads(rendered[case]))
    assert len(pods) >= 4  # API, a pool, schedulers, migrate
    for doc in pods:
        name = doc["metadata"]["name"]
        pod = doc["spec"]["template"]["spec"]
        ctx = pod["securityContext"]
        assert ctx["runAsNonRoot"] is True, name
        assert ctx["runAsUser"] == 10001, name
        assert ctx["seccompProfile"] == {"type": "RuntimeDefault"}, name
        assert pod["automountServiceAccountToken"] is False, name
        for c in pod["containers"] + pod.get("initContainers", []):
            sc = c["securityContext"]
            assert sc["readOnlyRootFilesystem"] is True, name
            assert sc["allowPrivilegeEscalation"] is False, name
            assert sc["capabilities"] == {"drop": ["ALL"]}, name
            assert sc["runAsNonRoot"] is True, name
            # The one writable place: an emptyDir at /tmp, which HOME and TMPDIR name.
            volume, _ = mounted_from(doc, "/tmp/inventory-metrics")
            assert "emptyDir" in volume, name
            assert env(doc)["TMPDIR"] == env(doc)["HOME"] == "/tmp", name


@pytest.mark.parametrize("case", CASES)
def test_one_scheduler_deployment_with_its_replicas(
    rendered: dict[str, list[Doc]], case: str
) -> None:
    (scheduler,) = deployments(rendered[case], "scheduler")
    assert container(scheduler)["args"][0] == "scheduler"
    assert scheduler["spec"]["replicas"] == values(case)["schedulers"]["replicas"]


def test_two_schedulers_by_default_kept_apart(rendered: dict[str, list[Doc]]) -> None:
    (scheduler,) = deployments(rendered["defaults"], "scheduler")
    assert scheduler["spec"]["replicas"] == 2
    anti = scheduler["spec"]["template"]["spec"]["affinity"]["podAntiAffinity"]
    (term,) = anti["preferredDuringSchedulingIgnoredDuringExecution"]
    assert term["podAffinityTerm"]["topologyKey"] == "kubernetes.io/hostname"


@pytest.mark.parametrize("case", CASES)
def test_a_deployment_per_enabled_pool(rendered: dict[str, list[Doc]], case: str) -> None:
    pools = values(case)["workers"]["pools"]
    enabled = {p for p in POOLS if pools[p]["enabled"]}
    workers = {arg_after(d, "--pool"): d for d in deployments(rendered[case], "worker")}
    assert set(workers) == enabled
    for pool, doc in workers.items():
        assert doc["metadata"]["name"] == f"{FULLNAME}-worker-{pool}"
        assert doc["spec"]["template"]["metadata"]["labels"]["inventory/pool"] == pool
        assert container(doc)["args"][0] == "worker"
        assert arg_after(doc, "--processes") == str(pools[pool]["processes"])
        assert arg_after(doc, "--threads") == str(pools[pool]["threads"])


def test_sentinel_case_leaves_the_low_pool_out(rendered: dict[str, list[Doc]]) -> None:
    # guards the case above against a values file that enables everything
    pools = {arg_after(d, "--pool") for d in deployments(rendered["sentinel"], "worker")}
    assert pools == {"high", "default"}


def test_pool_resources_follow_their_processes(rendered: dict[str, list[Doc]]) -> None:
    """Unset, a pool asks for 128 MiB + 200 MiB per process (a worker process's measured
    peak) and may use 192 MiB + 400 MiB per process and one core per process."""
    workers = {arg_after(d, "--pool"): d for d in deployments(rendered["defaults"], "worker")}
    assert container(workers["high"])["resources"] == {
        "requests": {"cpu": "600m", "memory": "328Mi"},
        "limits": {"cpu": "1000m", "memory": "592Mi"},
    }
    assert container(workers["default"])["resources"] == {  # two processes
        "requests": {"cpu": "1100m", "memory": "528Mi"},
        "limits": {"cpu": "2000m", "memory": "992Mi"},
    }
    keda = {arg_after(d, "--pool"): d for d in deployments(rendered["keda"], "worker")}
    assert (
        container(keda["low"])["resources"]
        == values("keda")["workers"]["pools"]["low"]["resources"]
    )


@pytest.mark.parametrize("case", CASES)
def test_a_disruption_budget_for_each_deployment(rendered: dict[str, list[Doc]], case: str) -> None:
    docs = rendered[case]
    budgets = kinds(docs, "PodDisruptionBudget")
    pods = {d["metadata"]["name"]: d["spec"]["template"]["metadata"]["labels"] for d in docs
            if d["kind"] == "Deployment"}  # fmt: skip
    for budget in budgets:
        selector = budget["spec"]["selector"]["matchLabels"]
        covered = [name for name, labels in pods.items() if selects(selector, labels)]
        assert covered == [budget["metadata"]["name"]], "one budget, one Deployment"
        assert budget["spec"]["maxUnavailable"] == 1
    assert {b["metadata"]["name"] for b in budgets} == set(pods)


@pytest.mark.parametrize("case", CASES)
def test_workers_get_time_to_drain(rendered: dict[str, list[Doc]], case: str) -> None:
    grace = values(case)["workers"]["terminationGracePeriodSeconds"]
    # dramatiq waits up to its --worker-shutdown-timeout (600 s) for running tasks
    assert grace > 600
    for doc in deployments(rendered[case], "worker"):
        assert doc["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] == grace
        # a rollout starts a new pod before an old one drains, never fewer
        assert doc["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0


# --- the migrate hook ------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES)
def test_migrate_runs_as_a_hook_before_install_and_upgrade(
    rendered: dict[str, list[Doc]], case: str
) -> None:
    docs = rendered[case]
    job = named(docs, "Job", f"{FULLNAME}-migrate")
    notes = job["metadata"]["annotations"]
    assert notes["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert set(notes["helm.sh/hook-delete-policy"].split(",")) == {
        "before-hook-creation",
        "hook-succeeded",
    }
    assert container(job)["args"] == ["db", "migrate"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    # A pre-install hook runs before the release's own resources exist: what the Job's pod
    # needs from this chart must be a hook made before it.
    weight = int(notes["helm.sh/hook-weight"])
    ours = {(d["kind"], d["metadata"]["name"]): d for d in docs}
    pod = job["spec"]["template"]["spec"]
    needs = [("ServiceAccount", pod["serviceAccountName"])]
    for volume in pod["volumes"]:
        if "secret" in volume:
            needs.append(("Secret", volume["secret"]["secretName"]))
        for source in volume.get("projected", {}).get("sources", []):
            needs.append(("Secret", source["secret"]["name"]))
    for need in needs:
        if need in ours:
            hook = ours[need]["metadata"].get("annotations", {})
            assert "pre-install" in hook.get("helm.sh/hook", ""), f"{need} is no hook"
            assert int(hook["helm.sh/hook-weight"]) < weight, need
    config_volume = next(v for v in pod["volumes"] if v["name"] == "config")
    if not values(case)["configSecret"]["existingSecret"]:
        # the hook's own copy of the config, the same file the pods read
        copy_ = ours[("Secret", config_volume["secret"]["secretName"])]
        main = named(docs, "Secret", f"{FULLNAME}-config")
        assert copy_ is not main
        assert copy_["stringData"] == main["stringData"]


# --- configuration and secrets ---------------------------------------------------------------


def _config_file_for_the_app(doc: Doc, config: dict[str, Any], tmp: Path) -> dict[str, Any]:
    """The config with each ``*_file`` path replaced by a file with a stand-in secret, after
    checking that the path is a key of a Secret the pods mount."""

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            return [walk(n) for n in node]
        if not isinstance(node, dict):
            return node
        out = {}
        for key, value in node.items():
            if key.endswith("_file") and isinstance(value, str):
                secret, item = secret_key_of(doc, value)
                stand_in = tmp / f"{secret}-{item}"
                stand_in.write_text("x" * 32)
                out[key] = str(stand_in)
            else:
                out[key] = walk(value)
        return out

    return walk(config)


@pytest.mark.parametrize(
    "case", [c for c in CASES if not values(c)["configSecret"]["existingSecret"]]
)
def test_the_app_accepts_the_config_the_pods_get(
    rendered: dict[str, list[Doc]],
    case: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The config Secret's file and the environment of a worker pod, loaded by the app's own
    loader: every key known, every secret file on a mounted Secret."""
    docs = rendered[case]
    secret = named(docs, "Secret", f"{FULLNAME}-config")
    config = yaml.safe_load(secret["stringData"]["inventory.yaml"])
    assert config == values(case)["config"]
    worker = deployments(docs, "worker")[0]
    path = tmp_path / "inventory.yaml"
    path.write_text(yaml.safe_dump(_config_file_for_the_app(worker, config, tmp_path)))
    for name in [n for n in os.environ if n.startswith("INVENTORY_")]:
        monkeypatch.delenv(name)
    for name, value in env(worker).items():
        if not name.startswith("INVENTORY_"):
            continue
        if name.endswith("_FILE"):
            secret_key_of(worker, value)  # the file is a mounted Secret's key
            value = str(tmp_path / name)
            Path(value).write_text("x" * 32)
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("INVENTORY_CONFIG", str(path))
    settings = load_settings()
    assert settings.tasks.metrics_host == "0.0.0.0"
    v = values(case)
    assert settings.neo4j.uri == v["neo4j"]["uri"]
    if v["redis"]["sentinels"]:
        assert settings.redis.sentinels == v["redis"]["sentinels"]
        assert settings.redis.url is None
    else:
        assert settings.redis.url == v["redis"]["url"]


def test_existing_secrets_are_wired_by_name(rendered: dict[str, list[Doc]]) -> None:
    docs = rendered["existing-secrets"]
    # nothing secret is rendered: the config file is the user's Secret
    assert not kinds(docs, "Secret")
    for doc in workloads(docs):
        name = doc["metadata"]["name"]
        e = env(doc)
        assert secret_key_of(doc, e["INVENTORY_CONFIG"]) == ("inventory-config", "config.yaml")
        assert secret_key_of(doc, e["INVENTORY_NEO4J__PASSWORD_FILE"]) == ("neo4j-auth", "password")
        assert secret_key_of(doc, e["INVENTORY_REDIS__PASSWORD_FILE"]) == (
            "redis",
            "redis-password",
        )
        for secret in ("inventory-api-tokens", "vcenter-credentials"):
            path = f"/etc/inventory/secrets/{secret}/some-key"
            assert secret_key_of(doc, path) == (secret, "some-key"), name
        assert e["AWS_SECRET_ACCESS_KEY"] == {
            "secretKeyRef": {"name": "aws-credentials", "key": "secret-access-key"}
        }
        # the URI's template is rendered with the release's namespace
        assert e["INVENTORY_NEO4J__URI"] == f"neo4j://neo4j.{NAMESPACE}.svc.cluster.local:7687"
        pod = doc["spec"]["template"]["spec"]
        assert pod["imagePullSecrets"] == [{"name": "registry-credentials"}]
        assert container(doc)["image"] == "registry.example.com/inventory:0.1.0"
        # the user's Secret is changed by the user: no checksum of a file the chart never saw
        annotations = doc["spec"]["template"]["metadata"].get("annotations", {})
        assert "checksum/config" not in annotations
    account = named(docs, "ServiceAccount", FULLNAME)
    assert "eks.amazonaws.com/role-arn" in account["metadata"]["annotations"]
    job = named(docs, "Job", f"{FULLNAME}-migrate")
    assert job["spec"]["template"]["spec"]["serviceAccountName"] == "inventory-migrate"


def test_sentinel_wiring(rendered: dict[str, list[Doc]]) -> None:
    v = values("sentinel")["redis"]
    for doc in workloads(rendered["sentinel"]):
        e = env(doc)
        assert json.loads(e["INVENTORY_REDIS__SENTINELS"]) == v["sentinels"]
        assert e["INVENTORY_REDIS__MASTER_NAME"] == "mymaster"
        assert "INVENTORY_REDIS__URL" not in e  # the app refuses url and sentinels together
        assert secret_key_of(doc, e["INVENTORY_REDIS__PASSWORD_FILE"]) == (
            "redis",
            "redis-password",
        )
        assert secret_key_of(doc, e["INVENTORY_REDIS__SENTINEL_PASSWORD_FILE"]) == (
            "redis-sentinel",
            "sentinel-password",
        )


def test_a_changed_config_rolls_the_pods(rendered: dict[str, list[Doc]]) -> None:
    def checksums(case: str) -> set[str]:
        return {
            d["spec"]["template"]["metadata"]["annotations"]["checksum/config"]
            for d in kinds(rendered[case], "Deployment")
        }

    assert len(checksums("defaults")) == 1
    assert checksums("defaults") != checksums("sentinel")


# --- autoscaling and monitoring --------------------------------------------------------------


def test_keda_owns_the_replicas_of_the_pools_it_scales(rendered: dict[str, list[Doc]]) -> None:
    docs = rendered["keda"]
    pools = values("keda")["workers"]["pools"]
    scaled = {s["spec"]["scaleTargetRef"]["name"] for s in kinds(docs, "ScaledObject")}
    for doc in deployments(docs, "worker"):
        pool = arg_after(doc, "--pool")
        if pools[pool]["autoscaling"]["enabled"]:
            assert "replicas" not in doc["spec"], pool
            assert doc["metadata"]["name"] in scaled
        else:
            assert doc["spec"]["replicas"] == pools[pool]["replicas"]
            assert doc["metadata"]["name"] not in scaled
    assert len(scaled) == 2


def test_scaled_object_counts_what_the_pool_has_to_do(rendered: dict[str, list[Doc]]) -> None:
    docs = rendered["keda"]
    default = named(docs, "ScaledObject", f"{FULLNAME}-worker-default")
    (trigger,) = default["spec"]["triggers"]
    assert trigger["metadata"]["query"] == (
        "sum(max by (queue, state) (inventory_queue_messages{"
        f'job="inventory-api", namespace="{NAMESPACE}", '
        'queue=~"inventory.high|inventory.default", state=~"pending|delayed|active"}))'
    )
    assert trigger["metadata"]["threshold"] == "16"  # 2 processes x 8 threads
    assert trigger["metadata"]["ignoreNullValues"] == "false"
    assert default["spec"]["maxReplicaCount"] == 10
    behavior = default["spec"]["advanced"]["horizontalPodAutoscalerConfig"]["behavior"]
    assert behavior["scaleDown"]["stabilizationWindowSeconds"] == 600
    low = named(docs, "ScaledObject", f"{FULLNAME}-worker-low")
    (trigger,) = low["spec"]["triggers"]
    assert trigger["metadata"]["threshold"] == "50"
    assert low["spec"]["minReplicaCount"] == 0
    # each pool's queues are the ones `inventory worker --pool` consumes
    for pool in ("default", "low"):
        query = named(docs, "ScaledObject", f"{FULLNAME}-worker-{pool}")["spec"]["triggers"][0]
        (queues,) = re.findall(r'queue=~"([^"]+)"', query["metadata"]["query"])
        assert queues.split("|") == pool_queues(pool)


def test_service_monitors_give_the_job_names_the_alerts_use(
    rendered: dict[str, list[Doc]],
) -> None:
    docs = rendered["keda"]

    def relabel(name: str) -> list[dict[str, Any]]:
        (endpoint,) = named(docs, "ServiceMonitor", f"{FULLNAME}-{name}")["spec"]["endpoints"]
        return endpoint["relabelings"]

    assert {"targetLabel": "job", "replacement": "inventory-api"} in relabel("api")
    assert {"targetLabel": "job", "replacement": "inventory-scheduler"} in relabel("scheduler")
    worker = relabel("worker")
    assert {"targetLabel": "job", "replacement": "inventory-worker"} in worker
    (pool,) = [r for r in worker if r["targetLabel"] == "pool"]
    # Prometheus names a pod label's meta label with every other character as "_".
    (source,) = pool["sourceLabels"]
    for doc in deployments(docs, "worker"):
        labels = doc["spec"]["template"]["metadata"]["labels"]
        assert "__meta_kubernetes_pod_label_" + re.sub(r"\W", "_", "inventory/pool") == source
        assert labels["inventory/pool"] == arg_after(doc, "--pool")
    (api,) = named(docs, "ServiceMonitor", f"{FULLNAME}-api")["spec"]["endpoints"]
    assert api["authorization"] == {
        "type": "Bearer",
        "credentials": {"name": "inventory-metrics-token", "key": "token"},
    }
    for monitor in kinds(docs, "ServiceMonitor"):
        assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    (rule,) = kinds(docs, "PrometheusRule")
    summary = rule["spec"]["groups"][0]["rules"][0]["annotations"]["summary"]
    assert summary == "worker pool {{ $labels.pool }} is down"  # Prometheus' template, intact


def test_network_policies_open_only_the_served_ports(rendered: dict[str, list[Doc]]) -> None:
    docs = rendered["existing-secrets"]
    scrapers = {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}},
        "podSelector": {"matchLabels": {"app.kubernetes.io/name": "prometheus"}},
    }
    api = named(docs, "NetworkPolicy", f"{FULLNAME}-api")["spec"]
    (rule,) = api["ingress"]
    assert rule["ports"] == [{"port": 8000, "protocol": "TCP"}]
    assert scrapers in rule["from"] and len(rule["from"]) == 2
    worker = named(docs, "NetworkPolicy", f"{FULLNAME}-worker")["spec"]
    (rule,) = worker["ingress"]
    assert rule == {"ports": [{"port": 9191, "protocol": "TCP"}], "from": [scrapers]}
    assert worker["policyTypes"] == ["Ingress"]  # egress open: collectors reach providers
    for policy in kinds(rendered["sentinel"], "NetworkPolicy"):
        assert policy["spec"]["policyTypes"] == ["Ingress", "Egress"]
        assert policy["spec"]["egress"] == values("sentinel")["networkPolicy"]["egress"]


# --- documentation and installation ----------------------------------------------------------


# Values passed to Kubernetes as they are: documented as one row each.
FREE_FORM = {"config", "resources", "podSecurityContext", "securityContext", "strategy",
             "behavior", "readinessProbe", "livenessProbe", "startupProbe"}  # fmt: skip


def _leaves(node: Any, path: str = "") -> Iterator[str]:
    """Dotted paths of the values, the pools' as workers.pools.<pool>.*."""
    if not isinstance(node, dict) or not node or path.rpartition(".")[2] in FREE_FORM:
        yield path
        return
    for key, value in node.items():
        key = "<pool>" if path == "workers.pools" else key
        yield from _leaves(value, f"{path}.{key}" if path else key)


def test_readme_documents_every_value() -> None:
    documented = set(re.findall(r"^\| `([^`]+)` \|", (CHART / "README.md").read_text(), re.M))
    wanted = set(_leaves(yaml.safe_load((CHART / "values.yaml").read_text())))
    assert not wanted - documented, f"values missing from the README: {sorted(wanted - documented)}"
    assert not documented - wanted, f"the README names no such value: {sorted(documented - wanted)}"


def test_make_install_builds_helm() -> None:
    makefile = (ROOT / "Makefile").read_text()
    system = makefile.split("\nsystem:", 1)[1].split("\n\n", 1)[0]
    assert "@bash scripts/install-helm.sh" in system

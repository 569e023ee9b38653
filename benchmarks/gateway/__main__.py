"""Benchmark Yui's gateway against Hive Gateway and Apollo Gateway on the same subgraphs.

``.venv/bin/python -m benchmarks.gateway [--duration 20] [--warmup 5] [--connections 32]
[--only ours,hive,hive-rust,apollo] [--queries cross,deep,single] [--ceiling-duration 5]
[--json FILE] [--py-spy DIR]``

Gateways: ``ours`` (``yui gateway``), ``hive`` (Hive Gateway with its JavaScript query
planner), ``hive-rust`` (the same Hive Gateway started with ``--hive-router-runtime``: query
planning by the Rust planner of ``@graphql-hive/router-runtime``) and ``apollo`` (Apollo
Gateway in Apollo Server, ``node/apollo.mjs``).

``--compose`` regenerates ``supergraph.graphql`` (``@apollo/composition`` via
``node/compose.mjs``) and exits.

How a run goes:
1. Start the mock subgraphs (``mock.py``) pinned to core 1 and measure their ceiling: wrk
   straight at each subgraph with a subgraph request, exactly as the gateways are measured.
2. Verification: start each gateway in turn (pinned to core 0), send every query once,
   compare the ``data`` of all gateways (a mismatch or a GraphQL error is printed in full
   and the row is marked), stop it. Each time a Hive Gateway starts, the run checks which
   planner it got: ``hive-rust`` must have the Rust planner's native module
   (``hive_router_query_planner.*.node``) mapped in its process, ``hive`` must not (without
   the package Hive Gateway only warns and falls back to the JavaScript planner).
3. Measurement: for each gateway, one after another: start it, and for each query a
   warm-up and then a fixed-duration wrk run (one thread, N connections, pinned to core 1,
   POST body from a Lua script whose ``done()`` hook prints p50/p95/p99 and counts non-2xx
   responses and responses carrying ``"errors"``); stop it.
Also recorded per run: subgraph requests per operation (the mock's counters), the
gateway's CPU use on core 0 and how much of core 0 other processes took meanwhile, and how
busy core 1 (mock + wrk) was, so a reader can tell the gateway, not the subgraphs or the
load generator, was the limit.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import json
import os
import platform
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.gateway import subgraphs
from benchmarks.gateway.queries import QUERIES, Query

HERE = Path(__file__).resolve().parent
NODE_DIR = HERE / "node"
SUPERGRAPH = HERE / "supergraph.graphql"
REPO = HERE.parent.parent
GATEWAY_CORE = "0"
LOAD_CORE = "1"
PORTS = {"ours": 47200, "hive": 47201, "hive-rust": 47203, "apollo": 47202}
GATEWAYS = ["ours", "hive", "hive-rust", "apollo"]
LABELS = {
    "ours": "ours (yui)",
    "hive": "hive",
    "hive-rust": "hive (rust planner)",
    "apollo": "apollo",
}
HIVE_GATEWAYS = {"hive", "hive-rust"}
# The file name of the Rust query planner's Node addon (@graphql-hive/router-query-planner).
RUST_PLANNER_ADDON = "hive_router_query_planner."
NODE_PACKAGES = (
    "@graphql-hive/gateway",
    "@graphql-hive/router-runtime",
    "@graphql-hive/router-query-planner",
    "@apollo/gateway",
    "@apollo/server",
    "graphql",
)
CEILING_BODIES = {
    "accounts": {"query": "{ users { id username } }"},
    "products": {"query": "{ topProducts(first: 5) { upc name price } }"},
    "reviews": {
        "query": "query($r: [_Any!]!) { _entities(representations: $r) "
        "{ ... on Product { reviews { body author { id } } } } }",
        "variables": {"r": [{"__typename": "Product", "upc": f"p{i}"} for i in range(1, 6)]},
    },
}

WRK_LUA = """
wrk.method = "POST"
wrk.body = [==[%(body)s]==]
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"

local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

non2xx = 0
gql_errors = 0
function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  elseif body and string.find(body, '"errors"', 1, true) then
    gql_errors = gql_errors + 1
  end
end

function done(summary, latency, requests)
  local n2, ge = 0, 0
  for _, t in ipairs(threads) do
    n2 = n2 + (t:get("non2xx") or 0)
    ge = ge + (t:get("gql_errors") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%%d,"duration_us":%%d,"connect":%%d,"read":%%d,"write":%%d,' ..
    '"timeout":%%d,"status":%%d,"non2xx":%%d,"gql_errors":%%d,"p50":%%d,"p75":%%d,' ..
    '"p90":%%d,"p95":%%d,"p99":%%d,"mean":%%.1f,"max":%%d}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.timeout, e.status,
    n2, ge, latency:percentile(50), latency:percentile(75), latency:percentile(90),
    latency:percentile(95), latency:percentile(99), latency.mean, latency.max))
end
"""


# ---------------------------------------------------------------- small helpers


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def run(cmd: list[str], **kw: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, check=False, **kw)  # noqa: S603


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def post(port: int, body: bytes, timeout: float = 10.0) -> tuple[int, bytes]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=body,
        headers={"Content-Type": "application/json", "Accept": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def mock_stats() -> dict[str, int]:
    url = f"http://127.0.0.1:{subgraphs.PORTS['accounts']}/stats"
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


def package_version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "-"


def node_package_version(name: str) -> str:
    try:
        return json.loads((NODE_DIR / "node_modules" / name / "package.json").read_text())[
            "version"
        ]
    except (OSError, ValueError, KeyError):
        return "-"


# ---------------------------------------------------------------- CPU accounting


def _core_ticks() -> dict[str, tuple[int, int]]:
    """(busy, total) jiffies per core from /proc/stat."""
    out = {}
    for line in Path("/proc/stat").read_text().splitlines():
        parts = line.split()
        if parts and parts[0].startswith("cpu") and parts[0] != "cpu":
            values = [int(v) for v in parts[1:9]]
            idle = values[3] + values[4]
            out[parts[0][3:]] = (sum(values) - idle, sum(values))
    return out


def _proc_table() -> dict[int, tuple[int, int]]:
    """(parent pid, utime + stime in jiffies) of every live process."""
    stats: dict[int, tuple[int, int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            raw = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = raw[raw.rfind(")") + 2 :].split()
        stats[int(entry)] = (int(fields[1]), int(fields[11]) + int(fields[12]))
    return stats


def process_tree(root: int, table: dict[int, tuple[int, int]] | None = None) -> list[int]:
    """A process and its live descendants."""
    stats = _proc_table() if table is None else table
    wanted, frontier = [root], [root]
    while frontier:
        pid = frontier.pop()
        children = [p for p, (ppid, _) in stats.items() if ppid == pid and p not in wanted]
        wanted.extend(children)
        frontier.extend(children)
    return wanted


def _tree_ticks(root: int) -> int:
    """utime + stime of a process and its live descendants (all threads), in jiffies."""
    stats = _proc_table()
    return sum(stats.get(pid, (0, 0))[1] for pid in process_tree(root, stats))


class CpuWatch:
    """CPU shares over an interval: the gateway's and others' on core 0, the mock's and the
    whole of core 1 (mock + wrk + anything else)."""

    def __init__(self, gateway_pid: int | None, mock_pid: int | None):
        self.pids = {"gw": gateway_pid, "mock": mock_pid}

    def _ticks(self) -> dict[str, int]:
        return {k: _tree_ticks(pid) if pid else 0 for k, pid in self.pids.items()}

    def __enter__(self) -> CpuWatch:
        self.cores = _core_ticks()
        self.procs = self._ticks()
        return self

    def __exit__(self, *exc: object) -> None:
        cores = _core_ticks()
        procs = self._ticks()
        gw = procs["gw"] - self.procs["gw"]
        busy0 = cores[GATEWAY_CORE][0] - self.cores[GATEWAY_CORE][0]
        total0 = max(1, cores[GATEWAY_CORE][1] - self.cores[GATEWAY_CORE][1])
        busy1 = cores[LOAD_CORE][0] - self.cores[LOAD_CORE][0]
        total1 = max(1, cores[LOAD_CORE][1] - self.cores[LOAD_CORE][1])
        self.gateway_pct = 100.0 * gw / total0
        self.core0_other_pct = max(0.0, 100.0 * (busy0 - gw) / total0)
        self.mock_pct = 100.0 * (procs["mock"] - self.procs["mock"]) / total1
        self.core1_busy_pct = 100.0 * busy1 / total1


# ---------------------------------------------------------------- processes


class Process:
    """A child process in its own session, pinned to a core, stopped by its own pid."""

    def __init__(
        self, name: str, cmd: list[str], core: str, cwd: Path, env: dict[str, str], logfile: Path
    ):
        self.name = name
        self.logfile = logfile
        self._log = logfile.open("wb")
        self.proc = subprocess.Popen(  # noqa: S603
            ["taskset", "-c", core, *cmd],  # noqa: S607
            cwd=cwd,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def tail(self, n: int = 30) -> str:
        self._log.flush()
        lines = self.logfile.read_text(errors="replace").splitlines()
        return "\n".join(lines[-n:])

    def stop(self) -> None:
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self._log.close()


def gateway_command(name: str, port: int, tmp: Path) -> tuple[list[str], Path, dict[str, str]]:
    env = dict(os.environ)
    if name == "ours":
        yui = Path(sys.executable).parent / "yui"
        data_dir = tmp / "yui-data"
        data_dir.mkdir(exist_ok=True)
        env.update(YUI_DATA_DIR=str(data_dir), YUI_SECRET_KEY=secrets.token_hex(20))
        cmd = [
            str(yui) if yui.exists() else "yui",
            "gateway",
            "--supergraph",
            str(SUPERGRAPH),
            "--port",
            str(port),
            "--log-level",
            "warning",
        ]
        return cmd, REPO, env
    env.update(NODE_ENV="production", LOG_LEVEL="warn")
    # Hive Gateway also reads the planner switch from the environment: only the flag decides.
    env.pop("HIVE_ROUTER_RUNTIME", None)
    if name in HIVE_GATEWAYS:
        cmd = [
            "node",
            str(NODE_DIR / "node_modules/@graphql-hive/gateway/dist/bin.js"),
            "supergraph",
            str(SUPERGRAPH),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--fork",
            "1",
            "--disable-websockets",
        ]
        if name == "hive-rust":
            cmd.append("--hive-router-runtime")
        return cmd, NODE_DIR, env
    if name == "apollo":
        cmd = [
            "node",
            str(NODE_DIR / "apollo.mjs"),
            "--supergraph",
            str(SUPERGRAPH),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ]
        return cmd, NODE_DIR, env
    raise ValueError(name)


def start_gateway(name: str, tmp: Path) -> tuple[Process, float]:
    port = PORTS[name]
    if port_open(port):
        raise SystemExit(f"port {port} for {name} is already in use: stop whatever listens there")
    cmd, cwd, env = gateway_command(name, port, tmp)
    proc = Process(name, cmd, GATEWAY_CORE, cwd, env, tmp / f"{name}.log")
    started = time.monotonic()
    probe = json.dumps({"query": "{ __typename }"}).encode()
    while time.monotonic() - started < 120:
        if not proc.alive():
            raise SystemExit(f"{name} exited during start-up:\n{proc.tail()}")
        if port_open(port):
            with contextlib.suppress(OSError):
                status, _ = post(port, probe, timeout=5)
                if status == 200:
                    seconds = time.monotonic() - started
                    try:
                        check_planner(name, proc)
                    except SystemExit:
                        proc.stop()
                        raise
                    return proc, seconds
        time.sleep(0.1)
    proc.stop()
    raise SystemExit(f"{name} did not answer within 120 s:\n{proc.tail()}")


def rust_planner_addons(pid: int) -> set[str]:
    """The Rust query planner's Node addon files mapped in a process tree (Linux only)."""
    found = set()
    for member in process_tree(pid):
        try:
            maps = Path(f"/proc/{member}/maps").read_text()
        except OSError:
            continue
        for line in maps.splitlines():
            path = line.split(maxsplit=5)[-1]
            if RUST_PLANNER_ADDON in Path(path).name:
                found.add(path)
    return found


def check_planner(name: str, proc: Process) -> None:
    """Hive Gateway falls back to its JS planner, with a mere warning, when it cannot load
    @graphql-hive/router-runtime: make sure each Hive gateway runs the planner it is named for.
    The runtime loads the planner's addon when it builds the unified graph, before the first
    answer."""
    if name not in HIVE_GATEWAYS:
        return
    addons = rust_planner_addons(proc.pid)
    if name == "hive-rust" and not addons:
        raise SystemExit(
            f"{LABELS[name]} answers without the Rust planner ({RUST_PLANNER_ADDON}*.node is "
            f"not mapped in pid {proc.pid}); is @graphql-hive/router-runtime installed in "
            f"{NODE_DIR}?\n{proc.tail()}"
        )
    if name == "hive" and addons:
        raise SystemExit(f"{LABELS[name]} loaded the Rust planner ({', '.join(sorted(addons))})")
    planner = f"Rust, {', '.join(Path(a).name for a in sorted(addons))} mapped" if addons else "JS"
    log(f"{LABELS[name]}: query planner {planner} (pid {proc.pid})")


# ---------------------------------------------------------------- wrk


@dataclass
class Measurement:
    target: str
    query: str
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    requests: int
    socket_errors: int
    non2xx: int
    gql_errors: int
    subgraph_requests_per_op: float | None = None
    gateway_cpu_pct: float | None = None
    core0_other_pct: float | None = None
    core1_busy_pct: float | None = None
    mock_cpu_pct: float | None = None
    data: str = "ok"
    notes: list[str] = field(default_factory=list)

    @property
    def rps_per_cpu(self) -> float | None:
        """Requests per CPU-second of the gateway: what one whole core would serve."""
        if not self.gateway_cpu_pct:
            return None
        return self.rps / (self.gateway_cpu_pct / 100)

    @property
    def errors(self) -> int:
        return self.socket_errors + self.non2xx + self.gql_errors


def wrk(url: str, body: bytes, duration: int, connections: int, tmp: Path) -> dict[str, Any]:
    script = tmp / "wrk.lua"
    script.write_text(WRK_LUA % {"body": body.decode()})
    cmd = [
        "taskset",
        "-c",
        LOAD_CORE,
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{duration}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        url,
    ]
    result = run(cmd)
    for line in result.stdout.splitlines():
        if line.startswith("WRKJSON "):
            return json.loads(line[len("WRKJSON ") :])
    raise SystemExit(f"wrk failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")


def measure(
    target: str,
    query: str,
    port: int,
    body: bytes,
    args: argparse.Namespace,
    tmp: Path,
    duration: int,
    gateway_pid: int | None,
    mock_pid: int,
) -> Measurement:
    url = f"http://127.0.0.1:{port}/graphql"
    if args.warmup > 0:
        wrk(url, body, args.warmup, args.connections, tmp)
    before = mock_stats()
    with CpuWatch(gateway_pid, mock_pid) as cpu:
        out = wrk(url, body, duration, args.connections, tmp)
    after = mock_stats()
    seconds = out["duration_us"] / 1e6
    m = Measurement(
        target=target,
        query=query,
        rps=out["requests"] / seconds if seconds else 0.0,
        p50_ms=out["p50"] / 1000,
        p95_ms=out["p95"] / 1000,
        p99_ms=out["p99"] / 1000,
        requests=out["requests"],
        socket_errors=out["connect"] + out["read"] + out["write"] + out["timeout"],
        non2xx=out["non2xx"],
        gql_errors=out["gql_errors"],
        core0_other_pct=cpu.core0_other_pct if gateway_pid else None,
        gateway_cpu_pct=cpu.gateway_pct if gateway_pid else None,
        core1_busy_pct=cpu.core1_busy_pct,
        mock_cpu_pct=cpu.mock_pct,
    )
    if gateway_pid and out["requests"]:
        fetched = (after["hits"] + after["misses"]) - (before["hits"] + before["misses"])
        m.subgraph_requests_per_op = fetched / out["requests"]
        if after["misses"] > before["misses"]:
            m.notes.append(
                f"{after['misses'] - before['misses']} mock cache misses while measuring"
            )
    return m


# ---------------------------------------------------------------- setup


def ensure_tools() -> None:
    if shutil.which("taskset") is None:
        raise SystemExit("taskset is missing (Debian: util-linux)")
    if shutil.which("wrk") is None:
        if os.geteuid() == 0 and shutil.which("apt-get"):
            log("wrk is missing: apt-get install -y wrk")
            env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
            subprocess.run(["apt-get", "update", "-qq"], check=False, env=env)  # noqa: S607
            subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, env=env)  # noqa: S607
        else:
            raise SystemExit("wrk is missing: apt-get install -y wrk")
    if (os.cpu_count() or 1) < 2:
        raise SystemExit("needs 2 cores: the gateway on core 0, mock subgraphs and wrk on core 1")


def ensure_node(need_node: bool) -> None:
    if not need_node:
        return
    if shutil.which("node") is None:
        raise SystemExit("node (>= 20) is missing")
    pinned = json.loads((NODE_DIR / "package.json").read_text())["dependencies"]
    stale = [p for p, version in pinned.items() if node_package_version(p) != version]
    if stale:
        log(f"{', '.join(stale)} not installed as pinned: npm ci in benchmarks/gateway/node")
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=NODE_DIR, check=True)  # noqa: S607


def compose() -> None:
    ensure_node(True)
    services = [
        {"name": n, "url": subgraphs.url(n), "sdl": subgraphs.sdl(n)} for n in subgraphs.SCHEMAS
    ]
    result = subprocess.run(  # noqa: S603
        ["node", str(NODE_DIR / "compose.mjs")],  # noqa: S607
        input=json.dumps(services),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"composition failed:\n{result.stderr}")
    if result.stderr.strip():
        print(result.stderr.strip())
    SUPERGRAPH.write_text(result.stdout)
    print(f"wrote {SUPERGRAPH.relative_to(REPO)}")


def machine_facts(names: list[str]) -> list[str]:
    cpu = "-"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    node = run(["node", "--version"]).stdout.strip() if shutil.which("node") else "-"
    wrk_version = "-"
    if shutil.which("wrk"):
        first = (run(["wrk", "--version"]).stdout.splitlines() or ["-"])[0]
        wrk_version = first.split(" [")[0].removeprefix("wrk ")
    commit = run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"]).stdout.strip() or "-"
    facts = [
        f"machine   : nproc={os.cpu_count()}  {cpu}  {platform.system()} {platform.release()}",
        f"load avg  : {' '.join(f'{x:.2f}' for x in os.getloadavg())} (1/5/15 min, before the run)",
        f"python    : {platform.python_version()}  node: {node}  wrk: {wrk_version}",
        f"yui       : git {commit}  strawberry-graphql {package_version('strawberry-graphql')}  "
        f"graphql-core {package_version('graphql-core')}  uvicorn {package_version('uvicorn')}  "
        f"uvloop {package_version('uvloop')}  httptools {package_version('httptools')}  "
        f"httpx {package_version('httpx')}",
    ]
    if any(n != "ours" for n in names):
        facts.append(
            "node pkgs : " + "  ".join(f"{p} {node_package_version(p)}" for p in NODE_PACKAGES)
        )
    return facts


# ---------------------------------------------------------------- verification


def first_difference(a: Any, b: Any, path: str = "data") -> str | None:
    if type(a) is not type(b):
        return f"{path}: {json.dumps(a)[:200]} != {json.dumps(b)[:200]}"
    if isinstance(a, dict):
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                return f"{path}.{key}: present in only one"
            diff = first_difference(a[key], b[key], f"{path}.{key}")
            if diff:
                return diff
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} items != {len(b)} items"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            diff = first_difference(x, y, f"{path}[{i}]")
            if diff:
                return diff
        return None
    return None if a == b else f"{path}: {json.dumps(a)[:200]} != {json.dumps(b)[:200]}"


def verify(names: list[str], queries: list[Query], tmp: Path) -> dict[tuple[str, str], str]:
    """Every gateway answers every query once; returns the data verdict per (gateway, query)."""
    answers: dict[tuple[str, str], Any] = {}
    verdict: dict[tuple[str, str], str] = {}
    for name in names:
        proc, seconds = start_gateway(name, tmp)
        log(f"verify: {LABELS[name]} up in {seconds:.1f} s")
        try:
            for q in queries:
                body = q.body()
                status, raw = post(PORTS[name], body)
                try:
                    payload = json.loads(raw)
                except ValueError:
                    payload = None
                ok = status == 200 and isinstance(payload, dict) and not payload.get("errors")
                if not ok:
                    verdict[(name, q.name)] = "ERRORS"
                    print(f"\n!!! {LABELS[name]} answered {q.name} with HTTP {status} and errors:")
                    print(f"    request : POST /graphql {body.decode()}")
                    text = raw.decode(errors="replace")
                    print(f"    response: {text[:4000]}{' ...' if len(text) > 4000 else ''}\n")
                answers[(name, q.name)] = payload.get("data") if isinstance(payload, dict) else None
        finally:
            proc.stop()
    for q in queries:
        reference = next((n for n in names if verdict.get((n, q.name)) != "ERRORS"), names[0])
        for name in names:
            if name == reference or (name, q.name) in verdict:
                continue
            diff = first_difference(answers[(reference, q.name)], answers[(name, q.name)])
            if diff:
                verdict[(name, q.name)] = "MISMATCH"
                print(
                    f"\n!!! DATA MISMATCH on {q.name}: "
                    f"{LABELS[reference]} vs {LABELS[name]}: {diff}\n"
                )
        for name in names:
            verdict.setdefault((name, q.name), "ok")
    same = all(v == "ok" for v in verdict.values())
    log(
        "verify: "
        + ("every gateway returned the same data for every query" if same else "see above")
    )
    return verdict


# ---------------------------------------------------------------- report


def fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


COLUMNS = [  # (title, width)
    ("query", -7), ("gateway", -max(map(len, LABELS.values()))), ("req/s", 7), ("p50 ms", 8),
    ("p95 ms", 8), ("p99 ms", 8), ("errors", 6), ("rps/ours", 8), ("p95/ours", 8), ("rps/cpu", 7),
    ("/ours", 5), ("sub/op", 6), ("gw cpu", 6), ("c0 other", 8), ("c1 busy", 7), ("data", -8),
]  # fmt: skip
LEGEND = """\
rps/ours, p95/ours: that gateway's figure divided by ours (rps > 1: more requests/s than ours;
  p95 < 1: lower tail latency than ours).
rps/cpu: requests per CPU-second the gateway used (what it would serve with a whole core to
  itself); /ours: its ratio to ours. sub/op: subgraph requests per operation.
gw cpu: the gateway's CPU on core 0; c0 other: what other processes took of core 0 meanwhile;
  c1 busy: core 1 (mock + wrk + anything else).
errors: socket errors + non-2xx + 200 responses carrying "errors"; data: the verification
  verdict (same data as the other gateways, no GraphQL errors)."""


def row(cells: list[str]) -> str:
    return " ".join(
        f"{cell:<{-width}}" if width < 0 else f"{cell:>{width}}"
        for cell, (_, width) in zip(cells, COLUMNS, strict=True)
    ).rstrip()


def pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}%"


def print_table(
    results: list[Measurement],
    ceilings: list[Measurement],
    queries: list[Query],
    args: argparse.Namespace,
) -> None:
    print()
    print(
        f"wrk: 1 thread, {args.connections} connections, {args.duration} s per run after a "
        f"{args.warmup} s warm-up; gateway on core {GATEWAY_CORE}, "
        f"mock subgraphs + wrk on core {LOAD_CORE}"
    )
    header = row([title for title, _ in COLUMNS])
    print(header)
    print("-" * len(header))
    by_key = {(m.target, m.query): m for m in results}
    for q in queries:
        ours = by_key.get(("ours", q.name))
        for name in GATEWAYS:
            m = by_key.get((name, q.name))
            if m is None:
                continue
            rps_ratio = m.rps / ours.rps if ours and ours.rps else None
            p95_ratio = m.p95_ms / ours.p95_ms if ours and ours.p95_ms else None
            per_cpu, ours_per_cpu = m.rps_per_cpu, ours.rps_per_cpu if ours else None
            cpu_ratio = per_cpu / ours_per_cpu if per_cpu and ours_per_cpu else None
            cells = [
                q.name, LABELS[name], f"{m.rps:.0f}", f"{m.p50_ms:.2f}", f"{m.p95_ms:.2f}",
                f"{m.p99_ms:.2f}", str(m.errors), fmt(rps_ratio, ".2f"), fmt(p95_ratio, ".2f"),
                fmt(per_cpu, ".0f"), fmt(cpu_ratio, ".2f"), fmt(m.subgraph_requests_per_op, ".1f"),
                pct(m.gateway_cpu_pct), pct(m.core0_other_pct), pct(m.core1_busy_pct), m.data,
            ]  # fmt: skip
            print(row(cells))
        print()
    print("subgraph ceiling: wrk straight at the mock (same settings), one subgraph request each")
    for c in ceilings:
        per_cpu = c.rps / (c.mock_cpu_pct / 100) if c.mock_cpu_pct else None
        print(
            f"  mock {c.target:<9} {c.rps:>7.0f} req/s  p50 {c.p50_ms:.2f} ms  "
            f"p95 {c.p95_ms:.2f} ms  errors {c.errors}  mock cpu {pct(c.mock_cpu_pct)} "
            f"({fmt(per_cpu, '.0f')} req per mock CPU-second)  c1 busy {pct(c.core1_busy_pct)}"
        )
    if results:
        peak = max(results, key=lambda m: (m.subgraph_requests_per_op or 0) * m.rps)
        load = (peak.subgraph_requests_per_op or 0) * peak.rps
        print(
            f"  the busiest gateway run put {load:.0f} req/s on the mock "
            f"({peak.target} {peak.query}, mock cpu {pct(peak.mock_cpu_pct)})"
        )
    print()
    print(LEGEND)
    noisy = [m.core0_other_pct for m in results if m.core0_other_pct is not None]
    if noisy and max(noisy) > 15:
        print(
            f"WARNING: other processes took {min(noisy):.0f}-{max(noisy):.0f}% of the gateway's "
            "core during the runs:\n  req/s and latencies understate every gateway by about as "
            "much; rps/cpu is the steadier comparison."
        )
    for m in results + ceilings:
        if m.errors or m.notes:
            detail = ""
            if m.errors:
                detail = (
                    f"socket {m.socket_errors}, non-2xx {m.non2xx}, graphql errors {m.gql_errors}"
                )
            print(f"note: {m.target} {m.query}: {'; '.join(filter(None, [detail, *m.notes]))}")


# ---------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.gateway",
        description="Yui's gateway vs Hive Gateway (JS and Rust planner) vs Apollo Gateway.",
    )
    parser.add_argument(
        "--duration", type=int, default=20, help="seconds measured per gateway and query"
    )
    parser.add_argument(
        "--warmup", type=int, default=5, help="warm-up seconds before each measurement"
    )
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--only", default=",".join(GATEWAYS), help=f"comma-separated: {','.join(GATEWAYS)}"
    )
    parser.add_argument(
        "--queries", default=",".join(q.name for q in QUERIES), help="comma-separated"
    )
    parser.add_argument(
        "--ceiling-duration", type=int, default=5, help="seconds per subgraph ceiling run"
    )
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    parser.add_argument(
        "--py-spy",
        type=Path,
        metavar="DIR",
        help="record a py-spy flame graph of ours per query into DIR (perturbs its figures)",
    )
    parser.add_argument(
        "--compose", action="store_true", help="regenerate supergraph.graphql and exit"
    )
    args = parser.parse_args()
    if args.compose:
        compose()
        return
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = set(names) - set(GATEWAYS)
    if unknown or not names:
        parser.error(f"--only takes some of {','.join(GATEWAYS)}")
    names = [n for n in GATEWAYS if n in names]
    wanted = {q.strip() for q in args.queries.split(",")}
    queries = [q for q in QUERIES if q.name in wanted]
    if not queries:
        parser.error(f"--queries takes some of {','.join(q.name for q in QUERIES)}")

    ensure_tools()
    ensure_node(any(n != "ours" for n in names))
    for line in machine_facts(names):
        print(line)
    print()

    began = time.monotonic()
    results: list[Measurement] = []
    ceilings: list[Measurement] = []
    with tempfile.TemporaryDirectory(prefix="yui-gw-bench-") as tmpname:
        tmp = Path(tmpname)
        for port in subgraphs.PORTS.values():
            if port_open(port):
                raise SystemExit(f"port {port} for the mock subgraphs is already in use")
        mock = Process(
            "mock",
            [sys.executable, "-m", "benchmarks.gateway.mock"],
            LOAD_CORE,
            REPO,
            dict(os.environ),
            tmp / "mock.log",
        )
        try:
            deadline = time.monotonic() + 30
            while not all(port_open(p) for p in subgraphs.PORTS.values()):
                if not mock.alive() or time.monotonic() > deadline:
                    raise SystemExit(f"mock subgraphs did not start:\n{mock.tail()}")
                time.sleep(0.1)
            log("mock subgraphs up; measuring their ceiling")
            for sub, payload in CEILING_BODIES.items():
                body = json.dumps(payload, separators=(",", ":")).encode()
                status, raw = post(subgraphs.PORTS[sub], body)
                if status != 200 or b'"errors"' in raw:
                    raise SystemExit(f"mock {sub} failed: {status} {raw[:500]!r}")
                c = measure(
                    sub,
                    "ceiling",
                    subgraphs.PORTS[sub],
                    body,
                    args,
                    tmp,
                    args.ceiling_duration,
                    None,
                    mock.pid,
                )
                ceilings.append(c)
                log(f"  mock {sub}: {c.rps:.0f} req/s, p95 {c.p95_ms:.2f} ms")

            verdict = verify(names, queries, tmp)

            for name in names:
                proc, seconds = start_gateway(name, tmp)
                log(f"{LABELS[name]}: up in {seconds:.1f} s (pid {proc.pid})")
                try:
                    for q in queries:
                        spy = None
                        if args.py_spy and name == "ours":
                            spy = start_py_spy(proc.pid, args, q, tmp)
                        m = measure(
                            name,
                            q.name,
                            PORTS[name],
                            q.body(),
                            args,
                            tmp,
                            args.duration,
                            proc.pid,
                            mock.pid,
                        )
                        if spy is not None:
                            spy.proc.wait(timeout=60)
                            spy.stop()
                            m.notes.append(f"py-spy attached: {args.py_spy / f'ours-{q.name}.svg'}")
                        m.data = verdict.get((name, q.name), "ok")
                        results.append(m)
                        log(
                            f"  {LABELS[name]} {q.name}: {m.rps:.0f} req/s, p50 {m.p50_ms:.2f} ms, "
                            f"p95 {m.p95_ms:.2f} ms, errors {m.errors}"
                        )
                        if not proc.alive():
                            raise SystemExit(f"{name} died:\n{proc.tail()}")
                    tail = proc.tail(10).strip()
                finally:
                    proc.stop()
                if tail:
                    print(f"--- last lines {LABELS[name]} logged:\n{tail}\n---")
        finally:
            mock.stop()
    print_table(results, ceilings, queries, args)
    print(f"\ntotal time {time.monotonic() - began:.0f} s")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "results": [asdict(m) for m in results],
                    "ceilings": [asdict(c) for c in ceilings],
                    "facts": machine_facts(names),
                },
                indent=2,
            )
        )


def start_py_spy(pid: int, args: argparse.Namespace, q: Query, tmp: Path) -> Process | None:
    spy = Path(sys.executable).parent / "py-spy"
    if not spy.exists():
        log("py-spy not installed in this venv: .venv/bin/pip install py-spy")
        return None
    args.py_spy.mkdir(parents=True, exist_ok=True)
    # Records the warm-up too; short of that the flame graph is the measured run.
    cmd = [
        str(spy),
        "record",
        "--pid",
        str(pid),
        "--duration",
        str(args.warmup + args.duration),
        "--rate",
        "200",
        "--output",
        str(args.py_spy / f"ours-{q.name}.svg"),
        "--nonblocking",
    ]
    return Process("py-spy", cmd, LOAD_CORE, REPO, dict(os.environ), tmp / f"py-spy-{q.name}.log")


if __name__ == "__main__":
    main()

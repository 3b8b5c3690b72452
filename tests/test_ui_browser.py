"""The Dagster UI in a real browser: `dagster dev` on a free port with a temp lake and
DAGSTER_HOME (its sources registered first by `pulselake register`, as `make ui` does), the
FitRec ingestion materialised by clicking "Materialize all" and launching its partition, and the
asset page of `fitrec_workouts` showing its row count and asset check results.

Playwright drives the system Chromium (`chromium` on PATH; `make test` installs it on Debian);
no Playwright browser is downloaded. Without Chromium or the `playwright` package the test is
skipped. The server is stopped with SIGINT to its process group and must leave no process
behind. Set PULSELAKE_SCREENSHOTS=<folder> to keep the screenshots.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pyarrow.parquet as pq
import pytest

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[1]
LOCATION = "pipelines.definitions"
GROUP = JOB = "fitrec_ingestion"
ASSETS = ("fitrec_source", "fitrec_workouts", "fitrec_quarantine")
CHECKS = ("fitrec_workouts_schema", "fitrec_lines_accounted")
PARTITION = "endomondo_simulated"  # the simulated sample's FitRec file
STARTUP_TIMEOUT_S = 90
RUN_TIMEOUT_S = 90
SHUTDOWN_TIMEOUT_S = 30
UI_TIMEOUT_MS = 30_000


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def executable(name: str) -> str:
    """A console script of this venv (dagster, pulselake), else from PATH."""
    beside = Path(sys.executable).with_name(name)
    return str(beside) if beside.exists() else (shutil.which(name) or name)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def graphql(base: str, query: str, variables: dict | None = None) -> dict:
    request = urllib.request.Request(
        f"{base}/graphql",
        data=json.dumps({"query": query, "variables": variables or {}}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        body = json.load(response)
    assert "errors" not in body, body
    return body["data"]


LOCATIONS_QUERY = """
{ workspaceOrError { __typename ... on Workspace { locationEntries {
    name loadStatus
    locationOrLoadError { __typename ... on PythonError { message } }
} } } }
"""

RUNS_QUERY = """
{ runsOrError(limit: 5) { __typename ... on Runs { results {
    runId jobName status assetSelection { path }
} } } }
"""

ROW_COUNT_QUERY = """
{ assetOrError(assetKey: {path: ["fitrec_workouts"]}) { ... on Asset {
    assetMaterializations(limit: 1) {
        metadataEntries { label ... on IntMetadataEntry { intValue } }
    }
} } }
"""


def reset_signals() -> None:
    """In the server's process: a parent started in the background may have SIGINT and SIGTERM
    ignored, which children inherit; the server must honour them."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


@dataclass
class Server:
    process: subprocess.Popen
    base: str
    home: Path
    lake: Path
    log: Path

    def log_tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""

    def tree(self) -> list[psutil.Process]:
        """The server and every process below it, plus anything else in its process group."""
        found: dict[int, psutil.Process] = {}
        try:
            root = psutil.Process(self.process.pid)
            found[root.pid] = root
            found.update({child.pid: child for child in root.children(recursive=True)})
        except psutil.NoSuchProcess:
            pass
        for proc in psutil.process_iter():
            try:
                if os.getpgid(proc.pid) == self.process.pid:
                    found.setdefault(proc.pid, proc)
            except (ProcessLookupError, psutil.Error):
                continue
        return list(found.values())

    def leftovers(self, tree: list[psutil.Process]) -> dict[int, str]:
        """Live processes of this server: in `tree` (a snapshot taken before the shutdown), in
        its process group, or naming its temp DAGSTER_HOME on their command line (run workers,
        code servers), whatever became of their parents."""
        snapshot = {proc.pid for proc in tree}
        left = {}
        for proc in psutil.process_iter(["pid", "cmdline", "status"]):
            try:
                if proc.info["status"] == psutil.STATUS_ZOMBIE:
                    continue
                cmdline = " ".join(proc.info["cmdline"] or [])
                in_group = os.getpgid(proc.pid) == self.process.pid
            except (ProcessLookupError, psutil.Error):
                continue
            ours = proc.pid in snapshot and any(p.pid == proc.pid and p.is_running() for p in tree)
            if ours or in_group or str(self.home) in cmdline:
                left[proc.pid] = cmdline[:200]
        return left


def start_server(tmp_path: Path) -> Server:
    home = tmp_path / "dagster_home"
    lake = tmp_path / "lake"
    home.mkdir()
    lake.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    port = free_port()
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "PULSELAKE_LAKE": str(lake),
        "PYTHONUNBUFFERED": "1",
    }
    # The simulated FitRec default, whatever the caller's shell points at; no Apple exports
    # (an empty folder), so registering does not simulate them.
    for name in ("PULSELAKE_FITREC", "PULSELAKE_ACTIVITY_FILES"):
        env.pop(name, None)
    env["PULSELAKE_APPLE"] = str(tmp_path / "no_exports")
    (tmp_path / "no_exports").mkdir()
    log = tmp_path / "dagster_dev.log"
    with log.open("wb") as out:
        subprocess.run(
            [executable("pulselake"), "register"], cwd=REPO, env=env, stdout=out, check=True
        )
        process = subprocess.Popen(
            [
                executable("dagster"),
                "dev",
                "-w",
                "workspace.yaml",
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
            ],
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            process_group=0,
            preexec_fn=reset_signals,
        )
    return Server(process, f"http://127.0.0.1:{port}", home, lake, log)


def wait_until_ready(server: Server) -> None:
    """/server_info answers, then the code location has loaded (or failed: say why)."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while True:
        if server.process.poll() is not None:
            pytest.fail(
                f"dagster dev exited with {server.process.returncode}:\n{server.log_tail()}"
            )
        if time.monotonic() > deadline:
            pytest.fail(f"dagster dev not ready after {STARTUP_TIMEOUT_S} s:\n{server.log_tail()}")
        try:
            urllib.request.urlopen(f"{server.base}/server_info", timeout=2).read()
            entries = graphql(server.base, LOCATIONS_QUERY)["workspaceOrError"]["locationEntries"]
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.5)
            continue
        entry = next((e for e in entries if e["name"] == LOCATION), None)
        if entry and entry["loadStatus"] == "LOADED":
            error = entry["locationOrLoadError"]
            if error and error["__typename"] == "PythonError":
                pytest.fail(f"code location {LOCATION} failed to load: {error['message']}")
            return
        time.sleep(0.5)


def stop_server(server: Server) -> None:
    """SIGINT to the whole process group (as Ctrl-C in a terminal), wait, kill after a timeout;
    then assert that nothing the server started is still alive."""
    tree = server.tree()
    if server.process.poll() is None:
        os.killpg(server.process.pid, signal.SIGINT)
        try:
            server.process.wait(SHUTDOWN_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait(10)
            pytest.fail(
                f"dagster dev ignored SIGINT for {SHUTDOWN_TIMEOUT_S} s:\n{server.log_tail()}"
            )
    psutil.wait_procs(tree, timeout=SHUTDOWN_TIMEOUT_S)
    left = server.leftovers(tree)
    for pid in left:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    assert not left, "processes left behind after SIGINT:\n" + "\n".join(
        f"{pid}: {cmdline}" for pid, cmdline in left.items()
    )


@pytest.fixture
def dagster_ui(tmp_path: Path) -> Iterator[Server]:
    server = start_server(tmp_path)
    try:
        wait_until_ready(server)
        yield server
    finally:
        stop_server(server)


@pytest.fixture
def browser_page(tmp_path: Path):
    executable = chromium_path()
    if executable is None:
        pytest.skip("no system Chromium: install it (apt-get install chromium) to run the UI test")
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="the playwright package is missing (pip install -e '.[dev]')"
    )
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.set_default_timeout(UI_TIMEOUT_MS)
            yield page
        finally:
            browser.close()


def save_screenshot(page, tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if folder := os.environ.get("PULSELAKE_SCREENSHOTS"):
        Path(folder).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(folder, path.name))
    return path


def wait_for_run(server: Server, run_prefix: str) -> dict:
    """The run whose id starts with what the UI's toast named; wait until it ends."""
    deadline = time.monotonic() + RUN_TIMEOUT_S
    run = None
    while time.monotonic() < deadline:
        runs = graphql(server.base, RUNS_QUERY)["runsOrError"]["results"]
        run = next((r for r in runs if r["runId"].startswith(run_prefix)), None)
        if run and run["status"] in ("SUCCESS", "FAILURE", "CANCELED"):
            return run
        time.sleep(0.5)
    pytest.fail(f"run {run_prefix} not finished in {RUN_TIMEOUT_S} s ({run}):\n{server.log_tail()}")


def test_materialise_fitrec_from_the_ui(browser_page, dagster_ui: Server, tmp_path: Path):
    server, page = dagster_ui, browser_page
    expect = pytest.importorskip("playwright.sync_api").expect
    expect.set_options(timeout=UI_TIMEOUT_MS)  # a busy 2-core machine renders slowly
    # The community sign-up dialog that dagster dev shows once would cover the buttons.
    assert graphql(server.base, "mutation { setNuxSeen }")["setNuxSeen"]

    # The asset graph of the FitRec ingestion group.
    page.goto(f"{server.base}/locations/{LOCATION}/asset-groups/{GROUP}")
    for asset in ASSETS:
        expect(page.get_by_text(asset, exact=True).first).to_be_visible()
    save_screenshot(page, tmp_path, "asset_graph")

    # Materialise it from the job's page: the `fitrec_ingestion` job (in-process executor) runs
    # the group's assets and their checks in one process, for the partition of each file.
    page.goto(f"{server.base}/locations/{LOCATION}/jobs/{JOB}")
    page.get_by_role("button", name="Materialize all").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("button", name="All", exact=True).click()
    dialog.get_by_role("button", name="Launch 1 run").click()
    toast = page.get_by_text(re.compile(r"Launched run [0-9a-f]{8}"))
    expect(toast).to_be_visible()
    run_prefix = re.search(r"[0-9a-f]{8}", toast.inner_text()).group()
    run = wait_for_run(server, run_prefix)
    assert run["status"] == "SUCCESS", f"run {run['runId']} {run['status']}:\n{server.log_tail()}"
    assert run["jobName"] == JOB

    # The run page agrees.
    page.goto(f"{server.base}/runs/{run['runId']}")
    expect(page.get_by_text("Success", exact=True).first).to_be_visible()
    save_screenshot(page, tmp_path, "run")

    # The asset page: the row count the IO manager recorded as dagster/row_count.
    rows = pq.read_metadata(server.lake / "fitrec_workouts" / f"{PARTITION}.parquet").num_rows
    assert rows > 0
    metadata = graphql(server.base, ROW_COUNT_QUERY)["assetOrError"]["assetMaterializations"]
    assert {"label": "dagster/row_count", "intValue": rows} in metadata[0]["metadataEntries"]
    page.goto(f"{server.base}/assets/fitrec_workouts")
    expect(page.get_by_text("Row count", exact=True)).to_be_visible()
    expect(page.get_by_text(f"{rows:,}", exact=True).first).to_be_visible()
    save_screenshot(page, tmp_path, "fitrec_workouts")

    # Its asset checks, each with its latest result.
    page.goto(f"{server.base}/assets/fitrec_workouts?view=checks")
    for check in CHECKS:
        expect(page.get_by_text(re.compile(rf"{check}\s*Succeeded"))).to_be_visible()
    save_screenshot(page, tmp_path, "fitrec_workouts_checks")

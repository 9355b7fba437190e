"""A phone on a slow line: bytes per page and round trips in Chromium on 400 kbps / 400 ms.

Serves the portal under gunicorn (demo data, SQLite) and walks it in Debian's Chromium with
the network emulated through CDP (Network.emulateNetworkConditions: 400 ms latency, 400 kbit/s
each way). For each page: bytes on the wire with an empty cache, and the time to the first
paint and to `load`. Then, with a warm cache: a wizard step opened again and a draft saved,
counting the requests that still reach the server (static files should not: they are
immutable). `--before REF` measures the same on an earlier commit (e.g. the one before
issue #18) for comparison. Writes its table into bench/RESULTS.md between markers.

    .venv/bin/python -m bench.slow_line --before 702058b --write-results
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.run import ROOT, VENV_BIN, free_port, wait_for

LATENCY_MS = 400
THROUGHPUT = 400_000 / 8  # bytes per second, each way
START, END = "<!-- slow-line:start -->", "<!-- slow-line:end -->"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


# The portal is installed editable (its import hook points at this checkout): the launcher
# takes the hook out so that the tree measured, e.g. an earlier commit, is the one imported.
LAUNCHER = """
import sys
sys.meta_path[:] = [f for f in sys.meta_path if "__editable__" not in repr(f)]
sys.path.insert(0, %r)
command, sys.argv = sys.argv[1], sys.argv[1:]
if command == "flask":
    from flask.cli import main
else:
    from gunicorn.app.wsgiapp import run as main
sys.exit(main())
"""


def serve(tree: Path, workdir: Path, label: str):
    """Start gunicorn on `tree` with the demo city; returns (process, base URL, token)."""
    env = dict(os.environ, SECRET_KEY="bench-secret", FLASK_APP="wsgi",
               DATABASE_URL=f"sqlite:///{workdir}/{label}.db", RATELIMIT_ENABLED="false",
               PUBLIC_BASE_URL="http://127.0.0.1", PYTHONPATH=str(tree))
    env.pop("REDIS_URL", None)
    python = [str(VENV_BIN / "python"), "-c", LAUNCHER % str(tree)]
    subprocess.run([*python, "flask", "db", "upgrade"], cwd=tree, env=env, check=True,
                   capture_output=True)
    out = subprocess.run([*python, "flask", "demo", "load"], cwd=tree, env=env,
                         capture_output=True, text=True).stdout
    # Two links since the snapshot's became a capability of its own: (snapshot, workspace).
    token = (re.search(r"/snapshot/([A-Za-z0-9._-]+)", out).group(1),
             re.search(r"/w/([A-Za-z0-9._-]+)", out).group(1))
    port = free_port()
    process = subprocess.Popen(
        [*python, "gunicorn", "-w", "2", "-k", "sync", "-b", f"127.0.0.1:{port}", "--timeout",
         "60", "--log-level", "warning", "wsgi:app"],
        cwd=tree, env=env, stdout=subprocess.DEVNULL,
        stderr=(workdir / f"{label}-gunicorn.log").open("w"), start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    wait_for(base + "/healthz", timeout=180)  # a loaded machine starts slowly
    return process, base, token


class Line:
    """One Chromium page on the emulated line, counting what crosses it."""

    def __init__(self, context):
        self.page = context.new_page()
        self.cdp = context.new_cdp_session(self.page)
        self.cdp.send("Network.enable")
        self.cdp.send("Network.emulateNetworkConditions", {
            "offline": False, "latency": LATENCY_MS, "downloadThroughput": THROUGHPUT,
            "uploadThroughput": THROUGHPUT})
        self.reset()
        self.cdp.on("Network.requestServedFromCache",
                    lambda event: self.from_cache.add(event["requestId"]))
        self.cdp.on("Network.responseReceived", self._response)
        self.cdp.on("Network.loadingFinished", self._finished)

    def reset(self) -> None:
        self.bytes = 0
        self.network: list[str] = []  # requests that reached the server
        self.cached: list[str] = []
        self.from_cache: set[str] = set()

    def _response(self, event) -> None:
        response = event["response"]
        if event["requestId"] in self.from_cache or response.get("fromDiskCache") or \
                response.get("fromPrefetchCache") or response.get("fromServiceWorker"):
            self.cached.append(response["url"])
        else:
            self.network.append(f"{response['status']} {response['url']}")

    def _finished(self, event) -> None:
        self.bytes += event.get("encodedDataLength", 0)

    def timed(self, action) -> dict:
        self.reset()
        started = time.perf_counter()
        action()
        self.page.wait_for_load_state("load")
        elapsed = time.perf_counter() - started
        paint = self.page.evaluate(
            "() => (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime"
            " || null")
        return {"seconds": round(elapsed, 2), "fcp": round(paint / 1000, 2) if paint else None,
                "bytes": self.bytes, "requests": list(self.network)}


def walk(base: str, tokens: tuple[str, str]) -> dict:
    from playwright.sync_api import sync_playwright

    token, workspace = tokens
    results: dict = {"pages": {}}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                             args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 360, "height": 740}, locale="en")
        line = Line(context)
        page = line.page
        page.goto(f"{base}/w/{workspace}?lang=en")  # opens the workspace (session cookie)
        # The demo city has completed every category: reopen one to save drafts in it.
        category = page.locator("a[href*='/w/c/']").first.get_attribute("href")
        page.goto(base + category.rstrip("/") + "/review")
        reopen = page.locator("form[action$='/reopen'] button")
        if reopen.count():
            reopen.first.click()
            page.wait_for_load_state("load")
        step = category.rstrip("/") + "/0"
        page.goto(base + step)
        if not page.locator(".wizard-buttons button[value=save]").count():
            raise RuntimeError(f"no step with a Save draft button at {page.url}")
        pages = {"home": "/", "assistant": "/assistant", "workspace": "/w/",
                 "wizard step": step, "City Snapshot": f"/snapshot/{token}",
                 "factsheet": "/w/factsheet"}
        for name, path in pages.items():
            line.cdp.send("Network.clearBrowserCache")
            results["pages"][name] = line.timed(lambda p=path: page.goto(base + p))
        # Warm: the static files are in the cache from the visits above.
        page.goto(base + step)  # its script, too, is now in the cache
        page.goto(base + pages["workspace"])
        results["warm step"] = line.timed(lambda: page.goto(base + step))
        results["warm snapshot"] = line.timed(lambda: page.goto(base + pages["City Snapshot"]))
        page.goto(base + step)
        page.wait_for_load_state("load")
        page.locator(".value-input").first.fill("1234")
        page.wait_for_timeout(2000)  # the live preview of the result has come back
        button = page.locator(".wizard-buttons button[value=save]")
        origin = page.evaluate("performance.timeOrigin")

        def save() -> None:
            # Done when the page says "Saved.": in place (script) or after post and redirect.
            button.click()
            page.wait_for_function(
                """origin => (performance.timeOrigin !== origin
                              && document.readyState === "complete")
                             || !!(document.getElementById("save-status") || {}).textContent""",
                arg=origin, timeout=60_000)

        results["draft save"] = line.timed(save)
        browser.close()
    return results


def table(measured: dict[str, dict]) -> str:
    labels = list(measured)
    lines = [f"Emulated line: {LATENCY_MS} ms latency, {int(THROUGHPUT * 8 / 1000)} kbit/s each "
             "way (Chromium, CDP Network.emulateNetworkConditions), 360 x 740, English, demo "
             "city. Cold = empty cache; bytes are what crossed the line (headers included).",
             "",
             "| page (cold) | " + " | ".join(f"{label} bytes | {label} first paint s | "
                                             f"{label} load s" for label in labels) + " |",
             "|---" * (1 + 3 * len(labels)) + "|"]
    for name in measured[labels[0]]["pages"]:
        cells = []
        for label in labels:
            row = measured[label]["pages"][name]
            cells += [f"{row['bytes']:,}", str(row["fcp"]), str(row["seconds"])]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", "| warm (cache filled) | " + " | ".join(
        f"{label} s | {label} requests to the server" for label in labels) + " |",
        "|---" * (1 + 2 * len(labels)) + "|"]
    for name in ("warm step", "draft save", "warm snapshot"):
        cells = []
        for label in labels:
            row = measured[label][name]
            shown = ", ".join(r.split(" ", 1)[0] + " " + r.rsplit("/", 1)[-1][:40]
                              for r in row["requests"])
            cells += [str(row["seconds"]), f"{len(row['requests'])}: {shown}"]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--before", help="git commit to measure as 'before'")
    parser.add_argument("--write-results", action="store_true")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="u4ssc-slow-line-"))
    trees = {}
    if args.before:
        before = workdir / "before"
        before.mkdir()
        archive = subprocess.run(["git", "archive", args.before], cwd=ROOT, check=True,
                                 capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(before)], input=archive, check=True)
        subprocess.run([str(VENV_BIN / "pybabel"), "compile", "-d",
                        str(before / "translations")], check=True, capture_output=True)
        trees["before"] = before
    trees["after"] = ROOT
    measured = {}
    for label, tree in trees.items():
        process, base, token = serve(tree, workdir, label)
        try:
            measured[label] = walk(base, token)
        finally:
            process.terminate()
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    text = table(measured)
    print(text)
    print(json.dumps(measured, indent=1), file=sys.stderr)
    if args.write_results:
        results = ROOT / "bench" / "RESULTS.md"
        current = results.read_text()
        block = f"{START}\n## A phone on a slow line (issue #18)\n\n{text}\n{END}"
        if START in current:
            current = re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _: block,
                             current, flags=re.S)
        else:
            current = current.rstrip("\n") + "\n\n" + block + "\n"
        results.write_text(current)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The HTML report in a real browser: `wslgo report BIN CORE` on a crash core of
tests/go/report and `wslgo-report FILE` at a live panic stop in gdb, each page loaded from
file:// in headless Chromium (Debian's chromium and chromium-driver, driven by selenium).
The page must make no network request and log no console error, show what the program
said about itself (its panic, its deadlocked goroutines, its workers), hide the groups the
filter does not match, and show the hostile pprof label as text, creating no element. Its
leak section lists what `wslgo leaks` finds on the same core, and on tests/go/leaks (a
gcore core and a live stop in gdb) exactly the goroutines the program says it leaked."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import build
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from wslgo_testing import leaks
from wslgo_testing.cores import CORE_PATTERN, gcore, unlimited_cores

HOSTILE = "<img src=x onerror=alert(1)>"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def wslgo(*args: str) -> subprocess.CompletedProcess[str]:
    """`wslgo ARGS` as a user runs it (text output, one line of error at most)."""
    return subprocess.run(
        [sys.executable, "-m", "wslgo.cli", *args], capture_output=True, text=True, timeout=120
    )


@dataclass
class Told:
    """What the fixture printed about itself."""

    cycle: list[int]
    label: tuple[str, str]
    workers: int
    stderr: str = ""


def parse(stdout: str) -> Told:
    t = Told(cycle=[], label=("", ""), workers=0)
    for line in stdout.splitlines():
        f = line.split(" ", 2)
        if f[0] == "cycle":
            t.cycle = sorted(int(x) for x in line.split()[1:])
        elif f[0] == "label":
            t.label = (f[1], f[2])
        elif f[0] == "workers":
            t.workers = int(f[1])
    assert t.cycle and t.workers and t.label[1] == HOSTILE, stdout
    return t


def crash(binary: Path, cwd: Path) -> tuple[Path, Told]:
    """Run the fixture with `crash` under GOTRACEBACK=crash: its core and what it said."""
    pattern = CORE_PATTERN.read_text().strip()
    assert not pattern.startswith("|") and "/" not in pattern, pattern
    env = dict(os.environ, GOTRACEBACK="crash")
    proc = subprocess.run(
        [str(binary), "crash"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=unlimited_cores,
    )
    assert proc.returncode < 0, proc
    cores = sorted(cwd.glob("core*"))
    assert cores, f"no core in {cwd}"
    told = parse(proc.stdout)
    told.stderr = proc.stderr
    return cores[0], told


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1200,900"):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    try:
        yield driver
    finally:
        driver.quit()


def ranges(ids: list[int]) -> str:
    """The page's id ranges (`20-21`, `5, 9`)."""
    out: list[str] = []
    i = 0
    while i < len(ids):
        j = i
        while j + 1 < len(ids) and ids[j + 1] == ids[j] + 1:
            j += 1
        out.append(str(ids[i]) if i == j else f"{ids[i]}-{ids[j]}")
        i = j + 1
    return ", ".join(out)


def expand(ids: str) -> list[int]:
    """The ids of a page's `ids 20-21, 5` line."""
    out: list[int] = []
    for part in ids.removeprefix("ids ").split(", "):
        first, _, last = part.partition("-")
        out.extend(range(int(first), int(last or first) + 1))
    return out


def visible_groups(d: webdriver.Chrome, where: str = "#groups") -> list[str]:
    return [
        el.find_element(By.CSS_SELECTOR, ".loc").text
        for el in d.find_elements(By.CSS_SELECTOR, f"{where} > .group")
        if el.is_displayed()
    ]


def type_filter(d: webdriver.Chrome, text: str) -> list[str]:
    box = d.find_element(By.ID, "filter")
    box.clear()
    if text:
        box.send_keys(text)
    else:  # clear() fires no input event
        d.execute_script("arguments[0].dispatchEvent(new Event('input'))", box)
    return visible_groups(d)


def load(d: webdriver.Chrome, page: Path) -> None:
    """Open ``page`` from file:// and check that it fetched nothing else."""
    d.get_log("performance")  # drop what earlier pages logged
    d.get_log("browser")
    url = page.resolve().as_uri()
    d.get(url)
    assert d.title.startswith("wslgo report: ")
    # no network: the browser fetched nothing but the file itself
    assert d.execute_script("return performance.getEntriesByType('resource').length") == 0
    sent = [
        m["params"]["request"]["url"]
        for m in (json.loads(e["message"])["message"] for e in d.get_log("performance"))
        if m["method"] == "Network.requestWillBeSent"
    ]
    assert sent and all(u == url for u in sent), sent


def no_console_error(d: webdriver.Chrome) -> None:
    """Nothing logged an error (an alert, a blocked inline handler, a script error)."""
    errors = [e for e in d.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == [], errors


def leaked_on_page(d: webdriver.Chrome) -> dict[int, str]:
    """Goroutine id -> its group's `leaked: CAUSE` line, from the page's leak section; each
    group's twin in the table marks its leaked members and links back."""
    out: dict[int, str] = {}
    for g in d.find_elements(By.CSS_SELECTOR, "#leak-groups > .group"):
        ids = expand(g.find_element(By.CSS_SELECTOR, ".ids").text)
        assert g.find_element(By.CSS_SELECTOR, ".count").text == str(len(ids))
        cause = g.find_element(By.CSS_SELECTOR, ".cause")
        twin = cause.find_element(By.TAG_NAME, "a").get_attribute("href") or ""
        row = d.find_element(By.ID, twin.split("#")[1])
        mark = row.find_element(By.CSS_SELECTOR, ".mark.leak")
        assert mark.text == f"{len(ids)} leaked"
        assert (mark.get_attribute("href") or "").endswith(f"#{g.get_attribute('id')}")
        assert set(ids) <= set(expand(row.find_element(By.CSS_SELECTOR, ".ids").text))
        out.update((i, cause.text) for i in ids)
    return out


def without_seconds(summary: str) -> str:
    return re.sub(r" in \d+\.\d+ s ", " in S s ", summary)


def check_page(d: webdriver.Chrome, page: Path, told: Told, panic_line: str) -> None:
    load(d, page)
    # the panic, as the program's own runtime printed it
    assert panic_line in d.find_element(By.ID, "panic").text.splitlines()
    here = d.find_element(By.CSS_SELECTOR, "#source .line.here").text
    assert "panic(fmt.Sprintf(" in here, here
    # the chart: one bar per state, the workers' receive among them
    bars = {
        b.find_element(By.CSS_SELECTOR, "text.label").text: int(
            b.find_element(By.CSS_SELECTOR, "text.count").text
        )
        for b in d.find_elements(By.CSS_SELECTOR, "#chart g.bar")
    }
    assert bars.get("chan receive") == told.workers, bars
    assert bars.get("sync.Mutex.Lock") == len(told.cycle), bars
    # the groups: the workers in one, the deadlocked pair in another, with their label
    groups = d.find_elements(By.CSS_SELECTOR, "#groups > .group")
    by_loc = {g.find_element(By.CSS_SELECTOR, ".loc").text.split(" at ")[0]: g for g in groups}
    workers = by_loc["main.worker"]
    assert workers.find_element(By.CSS_SELECTOR, ".count").text == str(told.workers)
    abba = by_loc["main.abba"]
    assert abba.find_element(By.CSS_SELECTOR, ".ids").text == f"ids {ranges(told.cycle)}"
    labels = [li.text for li in abba.find_elements(By.CSS_SELECTOR, "li.label")]
    assert labels == [f"{told.label[0]}={HOSTILE}"], labels
    # the stack opens from its <details>
    details = abba.find_element(By.TAG_NAME, "details")
    details.find_element(By.TAG_NAME, "summary").click()
    assert "main.abba" in details.find_element(By.CSS_SELECTOR, "ol.stack").text
    # the hostile label made no element and ran nothing
    assert d.execute_script("return document.querySelectorAll('img, [onerror]').length") == 0
    assert HOSTILE in d.execute_script("return document.body.textContent")
    # the graph: both mutexes and the pair's group in the cycle
    assert d.find_element(By.ID, "cycles").text == (
        f"wait cycle: goroutines {ranges(told.cycle)} wait on each other through "
        + d.find_element(By.ID, "cycles").text.split(" through ")[1]
    )
    marked = d.find_elements(By.CSS_SELECTOR, "#graph g.node.cycle")
    assert sorted(n.get_attribute("class") for n in marked) == [
        "node group cycle",
        "node object cycle",
        "node object cycle",
    ]
    assert d.find_elements(By.CSS_SELECTOR, "#graph path.edge.waits.cycle")
    # the filter: function, label, state; every word must match
    everything = visible_groups(d)
    assert len(everything) == len(groups)
    assert [x.split(" at ")[0] for x in type_filter(d, "main.worker")] == ["main.worker"]
    assert [x.split(" at ")[0] for x in type_filter(d, "label:evil=<img")] == ["main.abba"]
    assert [x.split(" at ")[0] for x in type_filter(d, "state:sleep")] == ["main.sleeper"]
    assert type_filter(d, "main.worker state:sleep") == []
    assert d.find_element(By.ID, "filter-count").text == f"0 of {len(groups)} groups"
    assert type_filter(d, "") == everything
    no_console_error(d)


def test_report_of_a_crash_core(browser: webdriver.Chrome, go_version: str, tmp_path: Path) -> None:
    binary = build("report", go_version)
    core, told = crash(binary, tmp_path)
    page = tmp_path / "crash.html"
    r = wslgo("report", str(binary), str(core), "-o", str(page))
    found = wslgo("leaks", str(binary), str(core), "--json")
    said = wslgo("leaks", str(binary), str(core))
    core.unlink()
    assert r.returncode == 0, r.stderr
    assert r.stderr == f"wslgo report: wrote {page}\n"
    panic_line = told.stderr.splitlines()[0]
    assert panic_line == "panic: report fixture: <b>2</b> & crash", panic_line
    check_page(browser, page, told, panic_line)
    text = page.read_text()
    assert "core file " in text and "SIGABRT (6)" in text
    # the leak section: what `wslgo leaks` finds on the same core, its summary line
    assert found.returncode == 0 and said.returncode == 0, found.stderr + said.stderr
    doc = json.loads(found.stdout)
    summary = browser.find_element(By.ID, "leak-summary").text
    assert without_seconds(summary) == without_seconds(said.stdout.splitlines()[0])
    on_page = leaked_on_page(browser)
    assert sorted(on_page) == sorted(x["goid"] for x in doc["leaked"])
    assert all(on_page[x["goid"]].startswith(f"leaked: {x['cause']}") for x in doc["leaked"])
    if not doc["leaked"]:
        assert browser.find_element(By.ID, "no-leaks").text == "No leaked goroutines."


def test_report_at_a_live_stop_in_gdb(
    browser: webdriver.Chrome, gdb_run: Any, go_version: str, tmp_path: Path
) -> None:
    binary = build("report", go_version)
    page = tmp_path / "live.html"
    out = tmp_path / "stdout.txt"
    g = gdb_run(
        [
            "set wslgo break-on-panic on",
            f"run crash > {out}",
            f"wslgo-report {page}",
            "kill",
        ],
        binary=binary,
    )
    assert f"wslgo: wrote {page}" in g.stdout, g.stdout + g.stderr
    told = parse(out.read_text())
    check_page(browser, page, told, f"panic: report fixture: <b>{len(told.cycle)}</b> & crash")
    assert "process " in page.read_text()


def test_report_errors_are_one_line(go_version: str, tmp_path: Path) -> None:
    binary = build("report", go_version)
    r = wslgo("report", str(binary), "-o", str(tmp_path / "x.html"))
    assert r.returncode != 0
    assert r.stderr.strip() == "wslgo report: give BINARY CORE, or --pid PID [BINARY]"
    bogus = tmp_path / "not-a-core"
    bogus.write_bytes(b"\0" * 64)
    r = wslgo("report", str(binary), str(bogus), "-o", str(tmp_path / "x.html"))
    assert r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert not (tmp_path / "x.html").exists()


def test_report_of_a_live_process(go_version: str, tmp_path: Path) -> None:
    """`--pid`: the running fixture read through /proc, its own executable found."""
    binary = build("report", go_version)
    proc = subprocess.Popen([str(binary)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if line.strip() == "ready":
                break
        told = parse("".join(lines))
        page = tmp_path / "pid.html"
        r = wslgo("report", "--pid", str(proc.pid), "-o", str(page))
    finally:
        proc.kill()
        proc.wait()
    assert r.returncode == 0, r.stderr
    text = page.read_text()
    assert f"process {proc.pid}" in text
    assert f"wait cycle: goroutines {ranges(told.cycle)} wait on each other" in text
    assert "evil=&lt;img src=x onerror=alert(1)&gt;" in text and "<img" not in text
    assert 'id="panic"' not in text  # nothing panicked


def check_leaks_page(d: webdriver.Chrome, page: Path, told: leaks.Told) -> None:
    """The leak section of a report of tests/go/leaks against what the program said."""
    load(d, page)
    on_page = leaked_on_page(d)
    assert sorted(on_page) == sorted(told.leaked)
    assert not set(on_page) & set(told.blocked)
    summary = d.find_element(By.ID, "leak-summary").text
    assert re.match(rf"{len(told.leaked)} leaked of \d+ blocked goroutines checked; ", summary)
    assert summary.endswith("(finalizers and cleanups are not roots)"), summary
    for goid, how in told.leaked.items():
        want = "nil chan" if how == "nil-chan" else "unreachable"
        assert on_page[goid] == f"leaked: {want} (its group in the table)", (goid, how)
    # the filter hides the leak section's groups as it hides the table's
    groups = d.find_elements(By.CSS_SELECTOR, "#leak-groups > .group")
    recv = [g for g, how in told.leaked.items() if how == "recv-private-chan"]
    type_filter(d, "main.recvPrivate")
    shown = visible_groups(d, "#leak-groups")
    assert shown and all(x.startswith("main.recvPrivate at ") for x in shown), shown
    shown_ids = [
        i
        for g in groups
        if g.is_displayed()
        for i in expand(g.find_element(By.CSS_SELECTOR, ".ids").text)
    ]
    assert sorted(shown_ids) == sorted(recv)
    counted = d.find_element(By.ID, "leak-filter-count").text
    assert counted == f"{len(shown)} of {len(groups)} leaked groups shown"
    assert [x.split(" at ")[0] for x in type_filter(d, "state:nil")] == ["main.nilChan"]
    assert [x.split(" at ")[0] for x in visible_groups(d, "#leak-groups")] == ["main.nilChan"]
    assert type_filter(d, "state:nil main.recvPrivate") == []
    assert visible_groups(d, "#leak-groups") == []
    type_filter(d, "")
    assert len(visible_groups(d, "#leak-groups")) == len(groups)
    assert d.find_element(By.ID, "leak-filter-count").text == ""
    no_console_error(d)


def test_report_of_leaks_from_a_core(
    browser: webdriver.Chrome, go_version: str, tmp_path: Path
) -> None:
    binary = build("leaks", go_version)
    with leaks.running(binary) as (proc, told):
        core = gcore(proc.pid, tmp_path / "core")
    page = tmp_path / "leaks.html"
    r = wslgo("report", str(binary), str(core), "-o", str(page))
    core.unlink()
    assert r.returncode == 0, r.stderr
    check_leaks_page(browser, page, told)


def test_report_of_leaks_at_a_live_stop_in_gdb(
    browser: webdriver.Chrome, gdb_run: Any, go_version: str, tmp_path: Path
) -> None:
    binary = build("leaks", go_version)
    page = tmp_path / "leaks.html"
    with leaks.running(binary) as (proc, told):
        g = gdb_run([f"attach {proc.pid}", f"wslgo-report {page}", "detach"], binary=binary)
    assert f"wslgo: wrote {page}" in g.stdout, g.stdout + g.stderr
    assert f"process {proc.pid}" in page.read_text()
    check_leaks_page(browser, page, told)

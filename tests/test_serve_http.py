"""``reportgen serve`` as a real process, spoken to with raw HTTP: safety, types, shutdown."""
from __future__ import annotations

import http.client
import json
import signal
import socket
import time
from pathlib import Path

import pytest

from reportgen.sdk.run import Run
from serveproc import ServeProcess, http_get


def _make_runs(root: Path) -> Path:
    for i in range(2):
        # no git capture: a checkout's uncommitted diff naming __reportgen__ would reach the run
        # pages and fail the "built files never name the dev server" check below
        run = Run(id=f"r{i}", name=f"run <{i}>", project="p", dir=root, save_code_info=False)
        for s in range(30):
            run.log({"loss": 1.0 / (s + 1) + i, "acc": s / 30})
        run.finish()
    return root


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    base = tmp_path_factory.mktemp("serve-http")
    runs = _make_runs(base / "runs")
    (base / "secret.txt").write_text("TOP SECRET")
    srv = ServeProcess(str(runs), "--watch", "--port", "0")
    yield srv, base
    rc = srv.stop()
    assert rc in (0, 130), srv.stderr()
    assert "Traceback" not in srv.stderr()


def _raw_get(port: int, target: str, method: str = "GET") -> tuple[int, dict, bytes]:
    """Send the request line exactly as given (no client-side normalisation)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(f"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode("latin-1"))
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.lower(): v.strip() for k, v in (ln.split(":", 1) for ln in lines[1:])}
    return status, headers, body


def test_binds_loopback_and_prints_url(served):
    srv, _ = served
    assert srv.host == "127.0.0.1" and srv.port > 0
    assert "warning" not in srv.stderr().lower()


@pytest.mark.parametrize("target", [
    "/../secret.txt", "/%2e%2e/secret.txt", "/%2e%2e%2fsecret.txt", "/%2E%2E%2Fsecret.txt",
    "/..%2fsecret.txt", "/..%5csecret.txt", "/%2e%2e%5csecret.txt", "/%252e%252e%252fsecret.txt",
    "/runs/r0/../../../secret.txt", "/runs/%2e%2e/%2e%2e/%2e%2e/secret.txt", "/.%2e/.%2e/secret.txt",
    "//etc/passwd", "/%2fetc%2fpasswd", "/etc/passwd", "/..\\..\\secret.txt", "/%00/etc/passwd",
    "/%c0%ae%c0%ae/secret.txt", "http://127.0.0.1/../secret.txt", "/../../../../../../etc/passwd",
])
def test_no_path_outside_the_site(served, target):
    srv, base = served
    status, _, body = _raw_get(srv.port, target)
    assert status in (400, 403, 404), (target, status)
    assert b"TOP SECRET" not in body and b"root:" not in body


@pytest.mark.parametrize("path, ctype", [
    ("/", "text/html; charset=utf-8"),
    ("/index.html", "text/html; charset=utf-8"),
    ("/runs/r0/", "text/html; charset=utf-8"),
    ("/assets/reportgen.js", "text/javascript; charset=utf-8"),
    ("/assets/reportgen.css", "text/css; charset=utf-8"),
    ("/assets/vega-bundle.js", "text/javascript; charset=utf-8"),
    ("/__reportgen__/live.js", "text/javascript; charset=utf-8"),
    ("/__reportgen__/events?since=-1", "application/json"),
])
def test_content_types(served, path, ctype):
    srv, _ = served
    resp = http_get(srv.port, path)
    body = resp.read()
    assert resp.status == 200, path
    assert resp.getheader("Content-Type") == ctype
    assert resp.getheader("X-Content-Type-Options") == "nosniff"
    assert int(resp.getheader("Content-Length")) == len(body)


def test_html_gets_the_live_script_but_built_files_do_not(served, cli, tmp_path):
    srv, base = served
    html = http_get(srv.port, "/index.html").read().decode()
    assert html.count("/__reportgen__/live.js") == 1
    assert html.index("/__reportgen__/live.js") < html.index("</head>")
    assert "run <0>" not in html  # user text stays escaped (HTML or JSON-in-script escapes)
    assert "run &lt;0&gt;" in html or "run \\u003c0\\u003e" in html
    out = tmp_path / "site"
    cli("build", str(base / "runs"), "-o", str(out), "-q")
    for f in out.rglob("*"):
        if f.is_file():
            assert b"__reportgen__" not in f.read_bytes(), f
            if f.suffix == ".html":  # assets/live.js ships with the runtime, but only served pages load it
                assert b"live.js" not in f.read_bytes(), f


def test_events_endpoint(served):
    srv, _ = served
    state = json.loads(http_get(srv.port, "/__reportgen__/events?since=999").read())
    assert state["reload"] is True and "boot" in state
    resp = http_get(srv.port, "/__reportgen__/events?since=abc")
    assert resp.status == 400 and b"since" in resp.read()
    assert http_get(srv.port, "/__reportgen__/nothing").status == 404


def test_files_revalidate_with_etags(served):
    """Assets and data may be cached but are checked on every use; pages never are (they carry the generation)."""
    srv, _ = served
    resp = http_get(srv.port, "/assets/reportgen.css")
    resp.read()
    etag = resp.getheader("ETag")
    assert etag and resp.getheader("Cache-Control") == "no-cache"
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
    conn.request("GET", "/assets/reportgen.css", headers={"If-None-Match": etag})
    again = conn.getresponse()
    assert again.status == 304 and again.read() == b""
    page = http_get(srv.port, "/index.html")
    page.read()
    assert page.getheader("Cache-Control") == "no-store" and page.getheader("ETag") is None
    # the live script too (every tab loads it: 31 KB downloaded and compiled again when it was no-store)
    live = http_get(srv.port, "/__reportgen__/live.js")
    body = live.read()
    tag = live.getheader("ETag")
    assert tag and live.getheader("Cache-Control") == "no-cache" and b"RGLive" in body
    conn.request("GET", "/__reportgen__/live.js", headers={"If-None-Match": tag})
    again = conn.getresponse()
    assert again.status == 304 and again.read() == b""


def test_assets_asked_for_by_their_hash_are_kept_without_checking(served):
    """A page asks for each asset by the hash of what it holds (``?v=``); that URL always means those
    bytes, so the browser may keep the file without asking again (a restored session of twenty tabs,
    or a click to the next page, requests none of them). Any other ``?v=`` is checked on every use."""
    import re

    srv, _ = served
    html = http_get(srv.port, "/index.html").read().decode()
    urls = re.findall(r'(?:src|href)="((?:assets/[^"?]+|/__reportgen__/live\.js)\?v=[0-9a-f]{10})"', html)
    names = {u.split("?")[0].rsplit("/", 1)[-1] for u in urls}
    assert {"reportgen.css", "rg-head.js", "rg-page.js", "vega-bundle.js", "live.js"} <= names, urls
    for url in urls:
        resp = http_get(srv.port, url if url.startswith("/") else "/" + url)
        body = resp.read()
        assert resp.status == 200 and body, url
        assert resp.getheader("Cache-Control") == "public, max-age=31536000, immutable", url
        stale = url[:-10] + "0123456789"  # a page of another build, or an asset that changed since
        resp = http_get(srv.port, stale if stale.startswith("/") else "/" + stale)
        assert resp.read() == body and resp.getheader("Cache-Control") == "no-cache", stale
    # the hash in the page is that of the bytes served (the Vega runtime's: of the vl-convert version)
    from reportgen.site.bundle import version

    page_js = next(u for u in urls if "rg-page.js" in u)
    assert version(http_get(srv.port, "/" + page_js).read())[:10] == page_js[-10:]


def test_events_are_answered_at_once(served):
    """No request is held open waiting for a change (a held request per tab stalls the seventh tab)."""
    srv, _ = served
    now = json.loads(http_get(srv.port, "/__reportgen__/events?since=0").read())["generation"]
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)  # the old long-poll waited 20 s
    conn.request("GET", f"/__reportgen__/events?since={now}")
    state = json.loads(conn.getresponse().read())
    assert state["generation"] == now and state["changed"] == [] and state["reload"] is False


def test_head_and_missing(served):
    srv, _ = served
    status, headers, body = _raw_get(srv.port, "/index.html", method="HEAD")
    assert status == 200 and body == b"" and int(headers["content-length"]) > 0
    assert _raw_get(srv.port, "/nope.html")[0] == 404
    assert _raw_get(srv.port, "/index.html", method="POST")[0] == 501


def test_without_watch_nothing_is_injected(tmp_path):
    runs = _make_runs(tmp_path / "runs")
    with ServeProcess(str(runs), "--port", "0") as srv:
        html = http_get(srv.port, "/").read()
        assert b"__reportgen__" not in html
        assert http_get(srv.port, "/__reportgen__/live.js").status == 404


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_clean_shutdown(tmp_path, sig):
    runs = _make_runs(tmp_path / "runs")
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    srv = ServeProcess(str(runs), "--watch", "--port", "0", env={"TMPDIR": str(tmp)})
    assert [p.name for p in tmp.iterdir()][0].startswith("reportgen-serve-")
    # an open keep-alive connection must not block or spoil the shutdown
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
    conn.request("GET", "/__reportgen__/events?since=0")
    time.sleep(0.3)
    rc = srv.stop(sig)
    err = srv.stderr()
    assert rc in (0, 130), err
    assert "Traceback" not in err and "Stopped." in err
    assert list(tmp.iterdir()) == []  # the temporary build folders are gone


def test_sigint_during_a_rebuild_exits_and_removes_the_temp_folder(tmp_path):
    """A rebuild still writing when Ctrl-C comes is not waited for, and its files do not outlive the
    server (the old code waited for it, then removed the folder while it wrote: files were left)."""
    runs = tmp_path / "runs"
    run = Run(id="big", name="big", project="p", dir=runs)
    run.log({"loss": 1.0})
    run.finish()
    with open(runs / "big" / "history.jsonl", "a") as fh:  # a long run: its rebuild takes a while
        fh.writelines('{"_step": %d, "_runtime": %d, "loss": %f, "acc": %f}\n' % (s, s, 1 / s, s / 2e5)
                      for s in range(1, 200_000))
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    srv = ServeProcess(str(runs), "--watch", "--port", "0", env={"TMPDIR": str(tmp)}, timeout=180)
    with open(runs / "big" / "history.jsonl", "a") as fh:
        fh.write('{"_step": 300000, "loss": 0.5}\n')
    time.sleep(0.5)  # the watcher noticed; the rebuild runs
    rc = srv.stop(signal.SIGINT)
    err = srv.stderr()
    assert rc == 0 and "Stopped." in err and "Traceback" not in err, err
    for _ in range(100):  # removed at once, or by the helper that waits for the process to be gone
        if not list(tmp.iterdir()):
            break
        time.sleep(0.1)
    assert list(tmp.rglob("*")) == []


def test_other_address_warns(tmp_path):
    runs = _make_runs(tmp_path / "runs")
    with ServeProcess(str(runs), "--host", "0.0.0.0", "--port", "0") as srv:
        assert "warning: serving on 0.0.0.0" in srv.stderr()


def test_port_in_use_is_a_clear_error(tmp_path, cli):
    runs = _make_runs(tmp_path / "runs")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        proc = cli("serve", str(runs), "--port", str(port), check=False, timeout=120)
    assert proc.returncode == 2
    assert "cannot serve on 127.0.0.1" in proc.stderr and "Traceback" not in proc.stderr


def test_range_requests(served):
    srv, _ = served
    full = http_get(srv.port, "/assets/reportgen.css").read()
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
    conn.request("GET", "/assets/reportgen.css", headers={"Range": "bytes=10-19"})
    resp = conn.getresponse()
    assert resp.status == 206 and resp.read() == full[10:20]
    assert resp.getheader("Content-Range") == f"bytes 10-19/{len(full)}"
    conn.request("GET", "/assets/reportgen.css", headers={"Range": f"bytes={len(full)}-"})
    resp = conn.getresponse()
    resp.read()
    assert resp.status == 416


def test_change_right_after_start_is_seen(tmp_path):
    runs = _make_runs(tmp_path / "runs")
    with ServeProcess(str(runs), "--watch", "--port", "0") as srv:
        with open(runs / "r0" / "history.jsonl", "a") as fh:
            fh.write('{"_step": 30, "loss": 0.5, "acc": 1.0}\n')
        deadline = time.monotonic() + 30  # events answer at once: pages poll them
        while True:
            state = json.loads(http_get(srv.port, "/__reportgen__/events?since=0").read())
            if state["generation"] >= 1 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert state["generation"] >= 1 and state["error"] is None
        assert any(p.startswith("data/runs/") for p in state["changed"]), state


def test_data_files_in_one_request(served):
    """/__reportgen__/data joins data files of the active site into one script; nothing else is served by it."""
    srv, _ = served
    one = http_get(srv.port, "/data/runs/r0.js").read()
    resp = http_get(srv.port, "/__reportgen__/data?f=%2Fdata%2Fruns%2Fr0.js&f=%2Fdata%2Fruns%2Fr1.js&f=/data/runs/gone.js")
    body = resp.read()
    assert resp.status == 200 and resp.getheader("Content-Type") == "text/javascript; charset=utf-8"
    assert body.startswith(one.rstrip(b"\n")) and b'RG.receive("runs/r1"' in body and b"gone" not in body
    assert resp.getheader("ETag") and resp.getheader("Cache-Control") == "no-cache"
    for bad in ("/index.html", "/../../etc/passwd", "/data/../index.html", "/assets/reportgen.css", "/data/x.json"):
        assert http_get(srv.port, "/__reportgen__/data?f=" + bad).status == 403, bad
    assert http_get(srv.port, "/__reportgen__/data").status == 400
    assert http_get(srv.port, "/__reportgen__/data?" + "&".join(["f=/data/runs/r0.js"] * 65)).status == 400


def _get_with(port: int, target: str, headers: dict[str, str]) -> tuple[int, bytes]:
    resp = http_get(port, target, headers)
    return resp.status, resp.read()


@pytest.mark.parametrize("target", ["/data/runs/r0.js", "/__reportgen__/data?f=/data/runs/r0.js",
                                    "/__reportgen__/events?since=0", "/index.html", "/assets/reportgen.css"])
def test_pages_of_other_sites_cannot_read_the_run_data(served, target):
    """A page of any web site may put <script src="http://127.0.0.1:PORT/data/runs/r0.js"> in itself: its
    Host header names this server, and RG.receive(...) then hands the run's data to a RG the page defined.
    Browsers say who asks (Sec-Fetch-Site): requests of other sites' pages are refused, unless they open a page."""
    srv, _ = served
    for site in ("cross-site", "same-site"):  # same-site: another server on localhost, another port
        status, body = _get_with(srv.port, target, {"Sec-Fetch-Site": site, "Sec-Fetch-Mode": "no-cors",
                                                    "Sec-Fetch-Dest": "script"})
        assert status == 403 and b"RG.receive" not in body and b"boot" not in body, (target, site)
    for site in ("same-origin", "none"):  # the site's own pages; an address typed or bookmarked
        status, body = _get_with(srv.port, target, {"Sec-Fetch-Site": site, "Sec-Fetch-Mode": "no-cors"})
        assert status == 200, (target, site)


def test_a_link_from_another_site_still_opens_a_page(served):
    srv, _ = served
    status, body = _get_with(srv.port, "/runs/r0/", {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate",
                                                     "Sec-Fetch-Dest": "document"})
    assert status == 200 and b"<html" in body.lower()
    status, _ = _get_with(srv.port, "/runs/r0/", {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate",
                                                  "Sec-Fetch-Dest": "embed"})
    assert status == 403


@pytest.mark.parametrize("target", ["/" + "a" * 300, "/runs/r0/" + "b" * 300 + ".png", "/" + "c/" * 3000,
                                    "/__reportgen__/data?f=/data/" + "d" * 300 + ".js"],
                         ids=["long-name", "long-media-name", "deep-path", "long-data-name"])
def test_names_longer_than_the_file_system_allows_are_not_found(served, target):
    """They made the lookup raise ENAMETOOLONG: a 500 and a traceback on the terminal, for any client."""
    srv, _ = served
    status, _, body = _raw_get(srv.port, target)
    assert status in (200, 404), (target, status)  # the data route leaves missing files out (200, empty)
    assert b"RG.receive" not in body
    assert "Traceback" not in srv.stderr()

"""Media a run page shows by what the browser really does with them (checked in Chromium here): a
QuickTime ``.mov`` of H.264 plays (published as ``.mov.mp4``), one of ProRes or Motion JPEG does not.
Real run folders, real builds, the pages in Chromium."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import reportgen
from test_media_not_shown import _build, _history, _panel
from test_media_playable import _media_state, _panel_id, _playing, _plays, _video

pytest.importorskip("av")


def _write_history(runs: Path, row: dict) -> None:
    (runs / "im/history.jsonl").write_text(json.dumps(row) + "\n")


def test_a_quicktime_video_is_shown_when_the_browser_plays_its_codec(tmp_path, site_browser):
    """A .mov (QuickTime) video was always "could not show video: .mov files are not read": the video
    check opened only the extensions the SDK writes, though Chromium plays an H.264 .mov by its content
    (checked below: the same bytes play; ProRes and Motion JPEG do not: MEDIA_ERR_SRC_NOT_SUPPORTED).
    A .mov is now opened as QuickTime and judged by its codec like an mp4; one the page plays is
    published as ``<name>.mov.mp4`` (Chromium denies the type video/quicktime, which servers give .mov),
    and plays on the page, its PCM sound track or not; ProRes and Motion JPEG are "could not show
    video", naming the codec. (The SDK, like wandb, takes gif, mp4, webm and ogg: these records are
    those of a run folder another tool wrote.)"""
    runs = tmp_path / "runs"
    run = reportgen.init(dir=runs, id="im", name="im", project="p")
    keys = {"h264": ("libx264", "yuv420p", None), "h264_pcm": ("libx264", "yuv420p", "pcm_s16be"),
            "prores": ("prores_ks", "yuv422p10le", None), "mjpeg": ("mjpeg", "yuvj420p", None)}
    run.log({k: reportgen.Video(np.full((4, 3, 16, 16), 9, np.uint8), fps=4, format="mp4") for k in keys}, step=0)
    run.finish()
    row = _history(runs)
    movs = {}
    for key, (codec, pix, audio) in keys.items():
        (runs / "im" / row[key]["path"]).unlink()
        row[key] = {**row[key], "path": row[key]["path"].rsplit(".", 1)[0] + ".mov", "format": "mov"}
        movs[key] = _video(codec, "mov", pix, audio)
        (runs / "im" / row[key]["path"]).write_bytes(movs[key])
    _write_history(runs, row)
    site = tmp_path / "site"
    warnings = _build(runs, site)
    assert warnings == ["run im: media mjpeg (step 0): could not show video: ValueError: mjpeg video, which "
                        "browsers do not play",
                        "run im: media prores (step 0): could not show video: ValueError: prores video, which "
                        "browsers do not play"], warnings
    published = {p.relative_to(site / "media/im").as_posix(): p.read_bytes() for p in (site / "media/im").rglob("*.*")
                 if p.parent.name != "data"}
    assert published == {row[k]["path"].removeprefix("media/") + ".mp4": movs[k] for k in ("h264", "h264_pcm")}
    page = site_browser.open(site / "runs/im/index.html")
    assert page.evaluate("document.createElement('video').canPlayType('video/quicktime')") == ""
    assert [_plays(page, movs[k]) for k in keys] == ["plays", "plays", "error 4", "error 4"]  # (Chromium's rule)
    for width in (1440, 390):
        page.set_viewport_size({"width": width, "height": 900})
        for key in ("h264", "h264_pcm"):
            _panel(page, key)
            assert _playing(_media_state(page, f".rgp-panel[id='{_panel_id(page, key)}']", "video")), (key, width)
        assert _panel(page, "prores").locator(".rgp-missing").inner_text() == \
            "could not show video: prores video, which browsers do not play"
        assert _panel(page, "mjpeg").locator(".rgp-missing").inner_text() == \
            "could not show video: mjpeg video, which browsers do not play"
        page.screenshot(path=str(tmp_path / f"mov-{width}.png"), full_page=True)
    assert _build(runs, site) == warnings  # (a rebuild keeps its copy)
    assert {p.name for p in (site / "media/im").rglob("*.mp4")} == {Path(row[k]["path"]).name + ".mp4"
                                                                      for k in ("h264", "h264_pcm")}

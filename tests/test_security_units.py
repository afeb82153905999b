"""The pure parts of the builder's trust rules: names, paths, nesting, SVG and Vega-Lite cleaning."""
from __future__ import annotations

import os

import pytest

from reportgen.site.publish import NotPublished, check_publishable, html_document
from reportgen.site.svgclean import SvgRefused, sanitize_svg
from reportgen.site.vegaclean import SpecRefused, clean_spec
from reportgen.storage.jsonio import loads
from reportgen.storage.safety import (UnsafePath, inside, is_safe_name, safe_file_name, safe_name, slug, too_deep,
                                      unique_names)


def test_names():
    assert safe_name("run-1.a") == "run-1.a"
    for bad in ["../../x", "/abs", "a/b", "x\x00y", "..", ".", "", "<script>", "a" * 65, "\ud800"]:
        name = safe_name(bad)
        assert is_safe_name(name), bad
    assert safe_name("a/b") != safe_name("a_b") and safe_name("a/b") == safe_name("a/b")
    assert unique_names(["A", "a", "a_", "x y", "x-y"]) == unique_names(["A", "a", "a_", "x y", "x-y"])
    names = unique_names(["A", "a", "a", "b"])
    assert len({n.lower() for n in names}) == 4
    assert safe_file_name("a b.png").endswith(".png") and is_safe_name(safe_file_name("a b.png"))
    # Windows device names, in any case and with any extension, and a trailing dot: never used as they are
    for device in ["CON", "con", "nul.txt", "Aux.tar.gz", "lpt1", "COM9.png", "prn", "run."]:
        assert not is_safe_name(device), device
        for made in (safe_name(device), safe_file_name(device), slug(device, keep="_.-")):
            assert is_safe_name(made) and made.lower() != device.lower(), (device, made)
    assert unique_names(["CON", "con"]) == ["CON-7679a072", "con-b1f6e510"]
    for fine in ["console", "com10", "connect.png", "aux_1", "null"]:
        assert is_safe_name(fine) and safe_name(fine) == fine and slug(fine, keep="_.-") == fine


def test_inside(tmp_path):
    base = tmp_path / "run"
    (base / "media").mkdir(parents=True)
    (base / "media/ok.png").write_bytes(b"x")
    (tmp_path / "secret").write_text("s")
    os.symlink(tmp_path / "secret", base / "media/link.png")
    os.symlink(base / "media/ok.png", base / "media/inner.png")  # a link that stays inside is fine
    assert inside(base, "media/ok.png") == (base / "media/ok.png").resolve()
    assert inside(base, "media/inner.png") == (base / "media/ok.png").resolve()
    for bad in ["../secret", "/etc/passwd", "media/../../secret", "media/link.png", "x\x00", "C:/x", 5, ""]:
        with pytest.raises(UnsafePath):
            inside(base, bad)
    with pytest.raises(FileNotFoundError):
        inside(base, "media/none.png")


def test_nesting():
    deep = 1
    for _ in range(150):
        deep = {"a": [deep]}
    assert too_deep(deep) and not too_deep({"a": [[1]]})
    with pytest.raises(ValueError):  # too deep for both decoders: a ValueError, never RecursionError
        loads(b"[" * 3000 + b"NaN" + b"]" * 3000)
    assert loads(b'{"k\\ud800": "v\\udfff", "n": NaN}')["k\ufffd\ufffd\ufffd"] == "v\ufffd\ufffd\ufffd"


def test_publishable_types():
    for ok in ["a.png", "b/c.JPG", "x.wav", "m.glb", "t.npy", "f.svg", "d.json"]:
        check_publishable(ok)
    for bad in ["a.html", "a.htm", "a.xhtml", "a.xml", "a.js", "a.mjs", "noext", "a.php", "a.svgz"]:
        with pytest.raises(NotPublished):
            check_publishable(bad)


def test_html_document_starts_with_its_policy():
    doc = html_document(b"<!DOCTYPE html><html><script>x()</script></html>", "<style></style>")
    assert doc.startswith("<!DOCTYPE html><meta http-equiv=\"Content-Security-Policy\"")
    assert "default-src 'none'" in doc and "connect-src" not in doc
    utf16 = html_document("\ufeff<p>é</p>".encode("utf-16-le"))
    assert utf16.startswith("<meta") and "<p>é</p>" in utf16


SVG = ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
       'xmlns:h="http://www.w3.org/1999/xhtml" width="10" height="10" onload="a()">'
       '<?xml-stylesheet href="x.xsl"?><script>b()</script><h:script>c()</h:script>'
       '<defs><linearGradient id="g"><stop offset="0" stop-color="red"/></linearGradient></defs>'
       '<rect width="10" height="10" fill="url(#g)" onclick="d()" style="fill:url(http://e/x)"/>'
       '<a xlink:href="javascript:e()"><text>t</text></a><a href="https://ok.example/">k</a>'
       '<foreignObject><h:iframe src="x"/></foreignObject><image href="http://evil/x.png"/>'
       '<image href="data:image/png;base64,AAAA"/><use href="#g"/><use href="other.svg#x"/><g xml:base="javascript:h()//"/>'
       '<set attributeName="onmouseover" to="f()"/><animate attributeName="xlink:href" to="javascript:g()"/>'
       '<style>@import url(http://evil/x.css);</style><style>rect{fill:blue}</style></svg>')


def test_svg_sanitizer():
    out = sanitize_svg(SVG.encode()).decode()
    for gone in ["onload", "onclick", "<script", "script>", "b()", "c()", "javascript", "foreignObject", "iframe",
                 "http://evil", "xml-stylesheet", "other.svg", "h()", "onmouseover", "@import", "http://e/x"]:
        assert gone not in out, gone
    for kept in ['fill="url(#g)"', "linearGradient", "https://ok.example/", "data:image/png", 'href="#g"',
                 "rect{fill:blue}", "<text>t</text>"]:
        assert kept in out, kept
    with pytest.raises(SvgRefused):
        sanitize_svg(b'<!DOCTYPE svg [<!ENTITY a "aaaa">]><svg xmlns="http://www.w3.org/2000/svg">&a;</svg>')
    with pytest.raises(SvgRefused):
        sanitize_svg(b'<html xmlns="http://www.w3.org/1999/xhtml"><script>x()</script></html>')
    with pytest.raises(SvgRefused):
        sanitize_svg(b"<svg")


def test_vega_cleaning():
    spec = {"usermeta": {"embedOptions": {"actions": True}}, "data": {"url": "http://x/d.json"},
            "layer": [{"mark": {"type": "image", "url": "http://x/i.png"}, "encoding": {"href": {"field": "u"},
                                                                                     "url": {"field": "u"}}},
                      {"data": {"values": [{"url": "kept as data", "a": 1}]}, "mark": "bar"}],
            "transform": [{"lookup": "a", "from": {"data": {"url": "http://x/l.csv"}, "key": "a"}}],
            "config": {"loader": {"baseURL": "http://x/"}}}
    out, removed = clean_spec(spec)
    text = repr(out)
    assert "http://x" not in text and "usermeta" not in text and "href" not in text and "loader" not in text
    assert out["layer"][1]["data"]["values"][0]["url"] == "kept as data"
    assert "usermeta.embedOptions" in removed and "data.url" in removed and "layer[].mark.url" in removed
    assert spec["data"]["url"] == "http://x/d.json"  # a copy: the record itself is untouched
    deep = {}
    for _ in range(100):
        deep = {"a": deep}
    with pytest.raises(SpecRefused):
        clean_spec(deep)
    with pytest.raises(SpecRefused):
        clean_spec([1])
    assert clean_spec({"usermeta": {"reportgen": {"optional_fields": ["x"]}}, "mark": "bar"}) == ({"mark": "bar"}, [])



def test_vega_text_is_bounded():
    """A logged spec's text (axis, legend and chart titles, subtitles, a text mark's literal, the
    description) is cut at 256 characters, a title given as lines at 10 lines; data is left alone."""
    from reportgen.site.vegaclean import TEXT_CHARS, TEXT_LINES, removed_note

    long = "A" * 1_000_000
    spec = {"mark": {"type": "text", "text": long}, "description": long,
            "title": {"text": [long] * 50, "subtitle": long},
            "encoding": {"x": {"field": "x", "axis": {"title": long}}, "color": {"field": "c", "legend": {"title": "short"}},
                         "text": {"value": long}, "tooltip": {"value": "v" * 300}},
            "data": {"values": [{"x": 1, "title": long}]}}
    out, removed = clean_spec(spec)
    assert len(out["mark"]["text"]) < TEXT_CHARS + 40 and out["mark"]["text"].startswith("A" * TEXT_CHARS)
    assert len(out["description"]) < TEXT_CHARS + 40 and len(out["encoding"]["x"]["axis"]["title"]) < TEXT_CHARS + 40
    assert len(out["title"]["text"]) == TEXT_LINES and all(len(t) < TEXT_CHARS + 40 for t in out["title"]["text"])
    assert len(out["title"]["subtitle"]) < TEXT_CHARS + 40
    assert out["encoding"]["color"]["legend"]["title"] == "short"
    assert len(out["encoding"]["text"]["value"]) < TEXT_CHARS + 40
    assert out["encoding"]["tooltip"]["value"] == "v" * 300  # (not text the chart lays out as such)
    assert out["data"]["values"][0]["title"] == long  # data is data
    note = removed_note(removed)
    assert note.startswith(f"text of the Vega-Lite spec longer than {TEXT_CHARS} characters")
    assert "encoding.x.axis.title" in note and "removed from" not in note
    assert len(str({k: v for k, v in out.items() if k != "data"})) < 10_000

def test_vega_line_separators_become_spaces():
    """U+2028/U+2029 end a string in a Vega expression, where Vega-Lite writes titles, fields and
    literals: they become spaces everywhere in the spec, inline data (keys and values) included."""
    spec = {"data": {"values": [{"a\u2028b": "x\u2029y", "n": 1}]}, "mark": "point",
            "encoding": {"x": {"field": "a\u2028b", "title": "t\u2028\u2028t"}},
            "transform": [{"filter": {"field": "a\u2028b", "equal": "x\u2029y"}}]}
    out, removed = clean_spec(spec)
    assert out == {"data": {"values": [{"a b": "x y", "n": 1}]}, "mark": "point",
                   "encoding": {"x": {"field": "a b", "title": "t  t"}},
                   "transform": [{"filter": {"field": "a b", "equal": "x y"}}]}
    assert removed == [] and spec["encoding"]["x"]["field"] == "a\u2028b"  # the record is untouched


def test_published_files_are_read_without_following_a_link_swapped_in(tmp_path):
    """The builder checks a media path inside its run folder (``inside``: the real path), then copies
    it; a link put in its place between the two was followed (open() of the path): a file outside the
    run folder could be published. The copy and the whole-file read take no link as the last part
    of the path, nor anything but a regular file."""
    from reportgen.site.publish import publish, read_whole
    from reportgen.storage.safety import NotRegularFile

    secret = tmp_path / "secret.png"
    secret.write_bytes(b"\x89PNG secret")
    run = tmp_path / "run" / "media"
    run.mkdir(parents=True)
    real = run / "a.png"
    real.write_bytes(b"\x89PNG mine")
    checked = inside(tmp_path / "run", "media/a.png")
    real.unlink()
    real.symlink_to(secret)  # the swap, after the check
    with pytest.raises(NotRegularFile):
        publish(checked, tmp_path / "site" / "a.png")
    with pytest.raises(NotRegularFile):
        read_whole(checked)
    assert not (tmp_path / "site" / "a.png").exists()
    real.unlink()
    os.mkfifo(real)  # a pipe: never opened for a blocking read
    with pytest.raises(NotRegularFile):
        publish(checked, tmp_path / "site" / "a.png")


def test_a_run_folder_swapped_for_a_link_after_the_check_is_not_read(tmp_path):
    """The same swap one level up: the run folder itself replaced by a link out of the runs root after
    the media path was checked. ``O_NOFOLLOW`` sees only the last part of the path; inside
    ``reading_inside`` the open file is checked where it really is."""
    from reportgen.site.publish import publish, read_whole
    from reportgen.storage.safety import OutsideRunFolder, open_regular, reading_inside

    runs, outside = tmp_path / "runs", tmp_path / "outside"
    (runs / "r" / "media").mkdir(parents=True)
    (runs / "r" / "media" / "a.png").write_bytes(b"\x89PNG mine")
    (outside / "media").mkdir(parents=True)
    (outside / "media" / "a.png").write_bytes(b"\x89PNG CANARY-SECRET")
    checked = inside(runs / "r", "media/a.png")
    with reading_inside(runs / "r", runs) as real:
        assert real == os.path.realpath(runs / "r")
        with open_regular(checked, follow=False) as fh:
            assert fh.read() == b"\x89PNG mine"
        (runs / "r").rename(tmp_path / "r-real")
        (runs / "r").symlink_to(outside)  # the swap, after the check
        with pytest.raises(OutsideRunFolder):
            publish(checked, tmp_path / "site" / "a.png")
        with pytest.raises(OutsideRunFolder):
            read_whole(checked)
    assert not (tmp_path / "site" / "a.png").exists()
    with open_regular(checked) as fh:  # (outside such a block: not checked, as before)
        assert b"CANARY" in fh.read()
    with reading_inside(runs / "r", runs) as real:  # the folder is a link out already: nothing is read
        assert real is None
        with pytest.raises(OutsideRunFolder):
            open_regular(runs / "r" / "media" / "a.png")


def test_waveforms_are_read_from_the_checked_file_only(tmp_path):
    """Waveforms opened the audio file again by its path (wave.open, PyAV): a pipe put there after
    the check made the build wait for ever, a link read a file from elsewhere."""
    from reportgen.site.panels.waveform import audio_envelope
    from reportgen.storage.safety import NotRegularFile

    for name in ("a.wav", "a.flac"):
        path = tmp_path / name
        os.mkfifo(path)
        with pytest.raises(NotRegularFile):
            audio_envelope(path, 100)
        path.unlink()
        path.symlink_to(tmp_path / "elsewhere")
        (tmp_path / "elsewhere").write_bytes(b"RIFF")
        with pytest.raises(NotRegularFile):
            audio_envelope(path, 100)
        path.unlink()


def test_jumping_to_the_next_data_keeps_a_buffered_file_in_step(tmp_path):
    """next_data moves the descriptor with lseek (SEEK_DATA); a buffered file that had read ahead then
    moved only its buffer pointer on fh.seek, and its next read repeated bytes from the descriptor's
    new place (offsets of a history after an over-long line ran past its end). Found in review."""
    from reportgen.storage.safety import next_data

    data = bytes(range(256)) * 4000  # 1 MB, no holes
    p = tmp_path / "f"
    p.write_bytes(data)
    with open(p, "rb") as fh:
        fh.readline(1000)  # reads ahead into its buffer
        at = fh.tell() + 10
        assert next_data(fh, at) == at
        assert fh.read() == data[at:] and fh.tell() == len(data)

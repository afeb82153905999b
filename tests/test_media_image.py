"""Image: the pixel rule, shapes, formats, masks and boxes (real files on tmp_path)."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image as PILImage

from reportgen.media.base import MediaContext
from reportgen.media.image import Image, array_to_uint8, to_hwc
from fake_tensor import FakeTensor


@pytest.fixture
def ctx(tmp_path):
    return MediaContext(tmp_path, "examples", 3)


def _open(ctx, record, key="path"):
    return PILImage.open(ctx.run_dir / record[key])


def test_float_rule_scales_unit_range_and_clips_the_rest():
    assert array_to_uint8(np.array([0.0, 0.5, 1.0])).tolist() == [0, 128, 255]
    assert array_to_uint8(np.array([0.0, 2.0, 300.0, -4.0])).tolist() == [0, 2, 255, 0]
    assert array_to_uint8(np.array([np.nan, 1.0])).tolist() == [0, 255]
    assert array_to_uint8(np.array([-5, 7, 999])).tolist() == [0, 7, 255]


@pytest.mark.parametrize("shape, mode", [((8, 10), "L"), ((8, 10, 1), "L"), ((8, 10, 3), "RGB"),
                                         ((8, 10, 4), "RGBA"), ((3, 8, 10), "RGB"), ((1, 8, 10), "L")])
def test_shapes(ctx, shape, mode):
    rec = Image(np.random.default_rng(0).random(shape)).to_record(ctx)
    assert (rec["width"], rec["height"], rec["mode"], rec["format"]) == (10, 8, mode, "png")
    img = _open(ctx, rec)
    assert img.format == "PNG" and img.size == (10, 8) and img.mode == mode


def test_chw_pixels_land_in_place(ctx):
    chw = np.zeros((3, 2, 5), dtype=np.uint8)
    chw[0, 1, 3] = 200  # red at row 1, column 3
    rec = Image(chw).to_record(ctx)
    assert np.asarray(_open(ctx, rec))[1, 3].tolist() == [200, 0, 0]
    assert to_hwc(np.zeros((4, 5, 3))).shape == (4, 5, 3)


def test_bad_shapes_and_types():
    with pytest.raises(ValueError, match="data: expected an image array"):
        Image(np.zeros((2, 3, 5, 6)))
    with pytest.raises(TypeError, match="data_or_path"):
        Image(object())
    with pytest.raises(ValueError, match="not found"):
        Image("/nonexistent/x.png")
    with pytest.raises(TypeError, match="caption"):
        Image(np.zeros((2, 2)), caption=["x"])


def test_jpeg_path_stays_jpeg(ctx, tmp_path):
    path = tmp_path / "myimage.jpg"
    PILImage.fromarray(np.full((6, 7, 3), 90, np.uint8)).save(path)
    rec = Image(str(path), caption="Label").to_record(ctx)
    assert rec["format"] == "jpeg" and rec["path"].endswith(".jpg") and rec["caption"] == "Label"
    assert (ctx.run_dir / rec["path"]).read_bytes() == path.read_bytes()


def test_pil_tensor_and_figure(ctx):
    pil = PILImage.new("RGB", (5, 4), (1, 2, 3))
    assert Image(pil).to_record(ctx)["mode"] == "RGB"
    rec = Image(FakeTensor(np.ones((3, 4, 5), dtype=np.float32))).to_record(ctx.child(1))
    assert np.asarray(_open(ctx, rec)).max() == 255 and rec["width"] == 5
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(2, 1), dpi=50)
    ax.plot([1, 2, 3])
    rec = Image(fig).to_record(ctx.child(2))
    plt.close(fig)
    assert rec["format"] == "png" and rec["width"] > 20


def test_deterministic_names(tmp_path):
    a = Image(np.eye(4)).to_record(MediaContext(tmp_path, "k/x y", 0, 1))
    b = Image(np.eye(4)).to_record(MediaContext(tmp_path, "k/x y", 0, 1))
    assert a == b and a["path"].startswith("media/images/k_x_y_0_1_")


def test_masks(ctx):
    mask = np.zeros((8, 10), dtype=int)
    mask[2:4, 3:6] = 2
    big = np.full((8, 10), 300)
    rec = Image(np.zeros((8, 10, 3)), masks={
        "predictions": {"mask_data": mask, "class_labels": {1: "tree", 2: "car"}},
        "ground_truth": {"mask_data": big},
    }).to_record(ctx)
    pred = rec["masks"]["predictions"]
    assert pred["class_labels"] == {"0": "class_0", "1": "tree", "2": "car"}
    img = _open(ctx, pred)
    assert img.mode == "L" and np.array_equal(np.asarray(img), mask)
    gt = _open(ctx, rec["masks"]["ground_truth"])
    assert gt.mode.startswith("I") and int(np.asarray(gt).max()) == 300
    assert rec["masks"]["ground_truth"]["class_labels"] == {"300": "class_300"}


@pytest.mark.parametrize("masks, match", [
    ({"pred": {"mask_data": np.zeros((0, 9), int)}}, r"masks\['pred'\]\.mask_data: the mask is empty"),
    ({"pred": {"mask_data": np.zeros((8, 10)) + 0.5}}, r"masks\['pred'\]\.mask_data: expected integer"),
    ({"pred": {"class_labels": {1: "a"}}}, r"masks\['pred'\]: missing 'mask_data'"),
    ({"pred": {"mask_data": np.zeros((8, 10), int), "class_labels": {"x": "a"}}}, r"masks\['pred'\]\.class_labels"),
    ({"pred": np.zeros((8, 10))}, r"masks\['pred'\]: expected"),
    ({"pred": {"mask_data": np.zeros((8, 10, 2), int)}}, r"2-D array"),
])
def test_mask_errors_name_the_mask(masks, match):
    with pytest.raises((ValueError, TypeError), match=match):
        Image(np.zeros((8, 10)), masks=masks)


BOX = {"position": {"minX": 0.1, "maxX": 0.2, "minY": 0.3, "maxY": 0.4}, "class_id": 2,
       "box_caption": "minMax(pixel)", "scores": {"acc": 0.1, "loss": 1.2}}


def test_boxes_stored_with_default_labels(ctx):
    mid = {"position": {"middle": [5, 4], "width": 2, "height": 3}, "domain": "pixel", "class_id": 7}
    rec = Image(np.zeros((8, 10)), boxes={
        "predictions": {"box_data": [BOX, mid], "class_labels": {1: "car", 2: "road"}},
        "ground_truth": {"box_data": [mid]},
    }).to_record(ctx)
    pred = rec["boxes"]["predictions"]
    assert pred["class_labels"] == {"1": "car", "2": "road", "7": "class_7"}
    assert pred["box_data"][0]["domain"] == "percentage" and pred["box_data"][0]["scores"] == {"acc": 0.1, "loss": 1.2}
    assert pred["box_data"][1]["position"] == {"middle": [5.0, 4.0], "width": 2.0, "height": 3.0}
    assert rec["boxes"]["ground_truth"]["class_labels"] == {"7": "class_7"}


@pytest.mark.parametrize("box, match", [
    ({"position": {"minX": 0.1, "maxX": 0.2}, "class_id": 1}, r"box_data\[1\]\.position: expected"),
    ({"position": {"minX": 0.3, "maxX": 0.2, "minY": 0, "maxY": 1}, "class_id": 1}, r"box_data\[1\]\.position: expected minX <= maxX"),
    ({"position": BOX["position"]}, r"box_data\[1\]: missing 'class_id'"),
    ({"position": BOX["position"], "class_id": "car"}, r"box_data\[1\]\.class_id"),
    ({"position": BOX["position"], "class_id": 1, "domain": "cm"}, r"box_data\[1\]\.domain"),
    ({"position": BOX["position"], "class_id": 1, "scores": {"a": "high"}}, r"box_data\[1\]\.scores\['a'\]"),
    ({"position": {"middle": [1], "width": 1, "height": 1}, "class_id": 1}, r"box_data\[1\]\.position\.middle"),
])
def test_box_errors_name_group_and_index(box, match):
    with pytest.raises((ValueError, TypeError), match=r"boxes\['predictions'\]\." + match):
        Image(np.zeros((8, 10)), boxes={"predictions": {"box_data": [BOX, box]}})


def test_warn_limit_attribute():
    assert Image.WARN_PER_STEP == 50

"""wandb.Image / wandb.Audio documented API: copies, .image, to_data_array, file types,
masks of another size, tensor box positions, URL references, Audio's list helpers."""
from __future__ import annotations


import numpy as np
import pytest
from PIL import Image as PILImage

from reportgen.media.audio import Audio
from reportgen.media.base import MediaContext
from reportgen.media.image import Image



@pytest.fixture
def ctx(tmp_path):
    return MediaContext(tmp_path, "img", 3)


def pixels(h=6, w=8):
    return (np.arange(h * w * 3).reshape(h, w, 3) % 256).astype(np.uint8)


def test_image_of_image_copies_pixels_and_caption_not_overlays(ctx):
    a = Image(pixels(), caption="first", masks={"m": {"mask_data": np.ones((6, 8), int)}})
    b = Image(a)
    c = Image(a, caption="second")
    ra, rb, rc = a.to_record(ctx), b.to_record(ctx), c.to_record(ctx)
    assert rb["path"] == ra["path"] and rb["caption"] == "first" and "masks" not in rb
    assert rc["caption"] == "second" and (rc["width"], rc["height"]) == (8, 6)


def test_image_property_and_data_array():
    img = Image(pixels())
    assert isinstance(img.image, PILImage.Image) and img.image.size == (8, 6)
    rows = img.to_data_array()
    assert len(rows) == 6 and len(rows[0]) == 8 and rows[0][1] == tuple(pixels()[0, 1].tolist())
    grey = Image(np.full((2, 3), 7, np.uint8))
    assert grey.to_data_array() == [[7, 7, 7], [7, 7, 7]]


@pytest.mark.parametrize("file_type, fmt, ext", [(None, "PNG", "png"), ("png", "PNG", "png"),
                                                 ("jpg", "JPEG", "jpg"), ("jpeg", "JPEG", "jpg"),
                                                 ("bmp", "BMP", "bmp")])
def test_file_types(ctx, file_type, fmt, ext):
    rec = Image(pixels(), file_type=file_type).to_record(ctx)
    assert rec["path"].endswith("." + ext)
    with PILImage.open(ctx.run_dir / rec["path"]) as im:
        assert im.format == fmt and im.size == (8, 6)


def test_bad_file_type_names_argument():
    with pytest.raises(ValueError, match="file_type: expected one of 'png', 'jpg', 'jpeg', 'bmp'"):
        Image(pixels(), file_type="tiff")


def test_mask_of_another_size_is_kept(ctx):
    mask = np.zeros((3, 4), int)
    mask[1:, 2:] = 2
    rec = Image(pixels(), masks={"pred": {"mask_data": mask, "class_labels": {2: "car"}}}).to_record(ctx)
    with PILImage.open(ctx.run_dir / rec["masks"]["pred"]["path"]) as m:
        assert m.size == (4, 3)  # stored as logged; the site stretches it over the image, as wandb's UI
    assert rec["masks"]["pred"]["class_labels"] == {"0": "class_0", "2": "car"}


def test_box_positions_as_tensors(ctx):
    torch = pytest.importorskip("torch")  # real tensors (torch is in the framework tests' extra)
    boxes = {"pred": {"box_data": [
        {"position": {"minX": torch.tensor(0.1), "maxX": torch.tensor(0.5),
                      "minY": np.float32(0.2), "maxY": torch.tensor([0.6])},
         "class_id": torch.tensor(1), "scores": {"p": torch.tensor(0.9)}},
        {"position": {"middle": torch.tensor([4.0, 3.0]), "width": torch.tensor(2), "height": 2},
         "domain": "pixel", "class_id": np.int64(0)},
    ]}}
    rec = Image(pixels(), boxes=boxes).to_record(ctx)
    b0, b1 = rec["boxes"]["pred"]["box_data"]
    assert b0["position"] == pytest.approx({"minX": 0.1, "maxX": 0.5, "minY": 0.2, "maxY": 0.6})
    assert b0["class_id"] == 1 and b0["scores"]["p"] == pytest.approx(0.9)
    assert b1["position"] == {"middle": [4.0, 3.0], "width": 2.0, "height": 2.0} and b1["class_id"] == 0
    with pytest.raises(ValueError, match=r"box_data\[0\]\.position\.middle"):
        Image(pixels(), boxes={"p": {"box_data": [{"position": {"middle": torch.zeros(3), "width": 1, "height": 1},
                                                   "class_id": 0}]}})


def test_url_references_are_records_not_downloads(ctx, tmp_path):
    img = Image("https://example.com/cats/cat.JPG?x=1", caption="cat")
    assert img.image is None and img.to_data_array() == []
    rec = img.to_record(ctx)
    assert rec == {"_type": "image", "url": "https://example.com/cats/cat.JPG?x=1", "format": "jpg",
                   "caption": "cat"}
    assert not (tmp_path / "media").exists()
    aud = Audio("s3://bucket/a.wav", caption="clip")
    assert aud.to_record(ctx) == {"_type": "audio", "url": "s3://bucket/a.wav", "format": "wav",
                                  "sample_rate": None, "caption": "clip"}


def test_audio_list_helpers():
    a = Audio(np.zeros(800, np.float32), sample_rate=8000, caption="quiet")
    b = Audio(np.zeros(1600, np.float32), sample_rate=16000)
    assert Audio.sample_rates([a, b]) == [8000, 16000]
    assert Audio.durations([a, b]) == pytest.approx([0.1, 0.1])
    assert Audio.captions([a, b]) == ["quiet", ""]
    assert Audio.captions([b]) is False


def test_torch_images_are_channels_first():
    torch = pytest.importorskip("torch")  # real tensors (torch is in the framework tests' extra)
    t = torch.zeros((3, 4, 4))  # ambiguous for an array: (C, H, W) for a torch tensor, as in wandb
    t[0] = 1.0
    img = Image(t)
    assert (img.width, img.height, img.mode) == (4, 4, "RGB") and img.to_data_array()[0][0] == (255, 0, 0)
    assert Image(torch.zeros((28, 28, 3))).width == 28  # channels last still works

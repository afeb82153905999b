"""Run every snippet of the wandb.log() documentation with reportgen.

    python examples/log_everything.py [--dir runs] [--id everything]   # reportgen installed (or PYTHONPATH=.)
    reportgen build runs/ -o site/

Each block below is a snippet of the wandb.log() page, unchanged except for the
sample data it needs (made here, so the script is self-contained). Needs the
extras: pip install "reportgen[all]" (PyAV, trimesh, biotite, matplotlib, plotly).
"""
from __future__ import annotations

import argparse
import io
import os
import tempfile
from pathlib import Path

import numpy as np

import reportgen as wandb

PDB = """\
ATOM      1  N   ALA A   1      -0.966   0.493   1.500  1.00  0.00           N
ATOM      2  CA  ALA A   1       0.257   0.418   0.692  1.00  0.00           C
ATOM      3  C   ALA A   1      -0.094   0.017  -0.716  1.00  0.00           C
ATOM      4  O   ALA A   1      -1.056  -0.682  -0.923  1.00  0.00           O
ATOM      5  CB  ALA A   1       1.204  -0.620   1.296  1.00  0.00           C
ATOM      6  OXT ALA A   1       0.661   0.439  -1.742  1.00  0.00           O
END
"""

OBJ = """\
v 0 0 0
v 1 0 0
v 1 1 0
v 0 1 0
v 0 0 1
v 1 0 1
v 1 1 1
v 0 1 1
f 1 3 2
f 1 4 3
f 5 6 7
f 5 7 8
f 1 2 6
f 1 6 5
f 2 3 7
f 2 7 6
f 3 4 8
f 3 8 7
f 4 1 5
f 4 5 8
"""

NEW_CHART = """{
  "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
  "title": "${string:title}",
  "data": {"name": "table"},
  "mark": {"type": "area", "line": true},
  "encoding": {
    "x": {"field": "${field:x}", "type": "quantitative"},
    "y": {"field": "${field:value}", "type": "quantitative"}
  }
}
"""


def sample_files(folder: Path) -> None:
    """The files the snippets open: some.html, a PDB, obj/gltf/glb, a JPEG, an mp4."""
    import trimesh
    from PIL import Image as PILImage

    (folder / "some.html").write_text("<h1>Some HTML</h1><p>logged from a file</p>")
    (folder / "6lu7.pdb").write_text(PDB)  # a stand-in: alanine, not the real 6LU7
    (folder / "sample.obj").write_text(OBJ)
    mesh = trimesh.load(io.BytesIO(OBJ.encode()), file_type="obj")
    mesh.visual.vertex_colors = [30, 144, 255, 255]
    mesh.export(folder / "sample.glb")
    gltf = trimesh.Scene(mesh).export(file_type="gltf", embed_buffers=True)
    (folder / "sample.gltf").write_bytes(gltf["model.gltf"])
    (folder / "presets" / "carey").mkdir(parents=True)
    (folder / "presets" / "carey" / "new_chart.json").write_text(NEW_CHART)
    # "Log a JPEG": the docs' own snippet
    im = PILImage.fromarray(np.random.default_rng(1).integers(0, 255, (32, 48, 3), dtype=np.uint8))
    rgb_im = im.convert("RGB")
    rgb_im.save(folder / "myimage.jpg")
    frames = np.random.default_rng(2).integers(0, 255, (8, 3, 32, 32), dtype=np.uint8)
    (folder / "myvideo.mp4").write_bytes(wandb.Video(frames, fps=8, format="mp4")._bytes)


def log_everything(root: str, run_id: str | None = None) -> str:
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        here = Path(tmp)
        sample_files(here)
        old_cwd = os.getcwd()
        root = os.path.abspath(root)
        os.chdir(here)  # the snippets open files by bare name, like a user's script
        try:
            run = wandb.init(project="log-everything", dir=root, id=run_id, config={"epochs": 3})
            _snippets(rng)
            wandb.finish()
        finally:
            os.chdir(old_cwd)
    # "summary handles numpy arrays and tensors": through the read-back API
    api = wandb.Api(root=root)
    stored = api.run(f"log-everything/{run.id}")
    stored.summary["tensor"] = rng.random(1000)
    stored.summary.update()
    return run.id


def _snippets(rng: np.random.Generator) -> None:
    wandb.log({"accuracy": 0.9, "epoch": 5})
    wandb.log({"acc": 0.9, "loss": 0.1})

    # -- histograms ------------------------------------------------------------------
    numpy_array_or_sequence = rng.normal(size=1000)
    data = rng.normal(size=500)
    wandb.log({"gradients": wandb.Histogram(numpy_array_or_sequence)})
    wandb.run.summary.update({"gradients": wandb.Histogram(np_histogram=np.histogram(data))})
    wandb.log({"gradients": wandb.Histogram(numpy_array_or_sequence, num_bins=512)})

    # -- images, masks, boxes --------------------------------------------------------
    numpy_array_or_pil = rng.random((28, 28, 3))
    wandb.log({"examples": [wandb.Image(numpy_array_or_pil, caption="Label")]})
    image = (rng.random((64, 96, 3)) * 255).astype(np.uint8)
    mask_data = np.ones((64, 96), dtype=int)
    mask_data[20:40, 30:60] = 2
    mask_data[50:, :] = 3
    class_labels = {1: "tree", 2: "car", 3: "road"}
    mask_img = wandb.Image(image, masks={
        "predictions": {"mask_data": mask_data, "class_labels": class_labels},
        "groud_truth": {"mask_data": np.where(mask_data == 2, 2, 1), "class_labels": class_labels},
    })
    wandb.log({"segmentation": mask_img})
    class_id_to_label = {1: "car", 2: "road", 3: "building"}
    img = wandb.Image(image, boxes={
        "predictions": {
            "box_data": [{
                "position": {"minX": 0.1, "maxX": 0.2, "minY": 0.3, "maxY": 0.4},
                "class_id": 2,
                "box_caption": "minMax(pixel)",
                "scores": {"acc": 0.1, "loss": 1.2},
            }, {
                "position": {"middle": [48, 32], "width": 20, "height": 10},
                "domain": "pixel",
                "class_id": 3,
                "box_caption": "middle(pixel)",
            }],
            "class_labels": class_id_to_label,
        },
        "ground_truth": {"box_data": [{"position": {"minX": 0.5, "maxX": 0.9, "minY": 0.1, "maxY": 0.6},
                                       "class_id": 1}]},
    })
    wandb.log({"driving_scene": img})

    # -- audio, video ----------------------------------------------------------------
    t = np.linspace(0, 1, 32 * 4, endpoint=False)
    numpy_array = np.sin(2 * np.pi * 4 * t)
    wandb.log({"examples": [wandb.Audio(numpy_array, caption="Nice", sample_rate=32)]})
    numpy_array_or_path_to_video = rng.integers(0, 255, (10, 3, 32, 32), dtype=np.uint8)
    wandb.log({"video": wandb.Video(numpy_array_or_path_to_video, fps=4, format="gif")})
    wandb.log({"video_batch": wandb.Video(rng.random((4, 6, 3, 16, 16)), fps=4, format="webm")})
    wandb.log({"example": wandb.Video("myvideo.mp4")})

    # -- tables ----------------------------------------------------------------------
    data = [["I love my phone", "1", "1"], ["My phone sucks", "0", "-1"]]
    wandb.log({"examples": wandb.Table(data=data, columns=["Text", "Predicted Label", "True Label"])})
    table = wandb.Table(columns=["Text", "Predicted Label", "True Label"])
    table.add_data("I love my phone", "1", "1")
    table.add_data("My phone sucks", "0", "-1")
    wandb.log({"examples": table})
    import pandas as pd
    my_dataframe = pd.DataFrame({"epoch": [1, 2, 3], "loss": [0.5, 0.3, float("nan")], "note": ["a", None, "c"]})
    wandb.log({"dataframe": wandb.Table(dataframe=my_dataframe)})
    media_table = wandb.Table(columns=["id", "image", "audio"])
    for i in range(3):
        media_table.add_data(i, wandb.Image(rng.random((8, 8))), wandb.Audio(rng.random(64) * 2 - 1, sample_rate=64))
    wandb.log({"media_table": media_table})

    # -- HTML, molecules -------------------------------------------------------------
    wandb.log({"custom_file": wandb.Html(open("some.html"))})
    wandb.log({"custom_string": wandb.Html('<a href="https://mysite">Link</a>')})
    wandb.log({"custom_file": wandb.Html(open("some.html"), inject=False)})
    wandb.log({"protein": wandb.Molecule(open("6lu7.pdb"))})
    try:
        wandb.log({"ethanol": wandb.Molecule.from_smiles("CCO")})
    except ImportError as exc:  # RDKit is optional
        print(f"skipped Molecule.from_smiles: {exc}")

    # -- custom charts ---------------------------------------------------------------
    x_values = np.linspace(0, 10, 50)
    y_values = np.sin(x_values)
    data = [[x, y] for (x, y) in zip(x_values, y_values)]
    table = wandb.Table(data=data, columns=["x", "y"])
    wandb.log({"my_custom_plot_id": wandb.plot.line(table, "x", "y", title="Custom Y vs X Line Plot")})
    class_x_prediction_scores, class_y_prediction_scores = rng.random(40), rng.random(40)
    data = [[x, y] for (x, y) in zip(class_x_prediction_scores, class_y_prediction_scores)]
    table = wandb.Table(data=data, columns=["class_x", "class_y"])
    wandb.log({"my_custom_id": wandb.plot.scatter(table, "class_x", "class_y")})
    labels, values = ["cat", "dog", "bird"], [12, 7, 3]
    data = [[label, val] for (label, val) in zip(labels, values)]
    table = wandb.Table(data=data, columns=["label", "value"])
    wandb.log({"my_bar_chart_id": wandb.plot.bar(table, "label", "value", title="Custom Bar Chart")})
    scores = rng.beta(2, 5, 200)
    data = [[s] for s in scores]
    table = wandb.Table(data=data, columns=["scores"])
    wandb.log({"my_histogram": wandb.plot.histogram(table, "scores", title=None)})
    ground_truth = rng.integers(0, 3, 200)
    predictions = rng.dirichlet([1, 1, 1], 200)
    predictions[np.arange(200), ground_truth] += 0.5
    predictions /= predictions.sum(axis=1, keepdims=True)
    wandb.log({"pr": wandb.plot.pr_curve(ground_truth, predictions, labels=None, classes_to_plot=None)})
    wandb.log({"roc": wandb.plot.roc_curve(ground_truth, predictions, labels=None, classes_to_plot=None)})
    class_names = ["cat", "dog", "bird"]
    wandb.log({"conf_mat": wandb.plot.confusion_matrix(predictions, ground_truth, class_names)})
    wandb.log({"series": wandb.plot.line_series(xs=[0, 1, 2, 3], ys=[[10, 20, 30, 40], [5, 15, 10, 25]],
                                                keys=["metric A", "metric B"], title="Two metrics", xname="epoch")})
    data = [[step, 150 + 3 * step + float(rng.normal())] for step in range(20)]
    table = wandb.Table(data=data, columns=["step", "height"])
    fields = {"x": "step", "value": "height"}
    my_custom_chart = wandb.plot_table(vega_spec_name="carey/new_chart", data_table=table, fields=fields)
    wandb.log({"new_chart": my_custom_chart})

    # -- matplotlib, plotly ----------------------------------------------------------
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    plt.plot([1, 2, 3, 4])
    plt.ylabel("some interesting numbers")
    wandb.log({"chart": plt})
    fig, ax = plt.subplots()
    ax.bar(["a", "b", "c"], [3, 1, 2])
    wandb.log({"bar_figure": fig, "figure_as_image": wandb.Image(fig)})
    plt.close("all")
    import plotly.graph_objects as go
    wandb.log({"plotly": go.Figure(go.Scatter(x=[1, 2, 3], y=[2, 1, 3]))})

    # -- 3-D -------------------------------------------------------------------------
    wandb.log({"generated_samples":
               [wandb.Object3D(open("sample.obj")),
                wandb.Object3D(open("sample.gltf")),
                wandb.Object3D(open("sample.glb"))]})
    xyz = rng.normal(size=(500, 3))
    wandb.log({"point_cloud": wandb.Object3D(xyz)})
    wandb.log({"point_cloud_categories": wandb.Object3D(np.c_[xyz, rng.integers(1, 15, 500)])})
    wandb.log({"point_cloud_rgb": wandb.Object3D(np.c_[xyz, rng.integers(0, 256, (500, 3))])})
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the docs' example uses colour 321 (> 255): clipped
        wandb.log({"point_scene": wandb.Object3D({
            "type": "lidar/beta",
            "points": np.array([[0.4, 1, 1.3], [1, 1, 1], [1.2, 1, 1.2]]),
            "boxes": np.array([
                {"corners": [[0, 0, 0], [0, 1, 0], [0, 0, 1], [1, 0, 0], [1, 1, 0], [0, 1, 1], [1, 0, 1], [1, 1, 1]],
                 "label": "Box", "color": [123, 321, 111]},
                {"corners": [[0, 0, 0], [0, 2, 0], [0, 0, 2], [2, 0, 0], [2, 2, 0], [0, 2, 2], [2, 0, 2], [2, 2, 2]],
                 "label": "Box-2", "color": [111, 321, 0]},
            ]),
            "vectors": [{"start": [0, 0, 0], "end": [0.1, 0.2, 0.5]}],
        })})

    # -- steps, commit, summary, PNG/JPEG --------------------------------------------
    wandb.log({"loss": 0.2}, commit=False)
    wandb.log({"accuracy": 0.8})
    wandb.log({"example": wandb.Image(rng.random((16, 16, 3)))})
    wandb.log({"example": [wandb.Image(rng.random((16, 16))) for _ in range(3)]})
    wandb.log({"example": wandb.Image("myimage.jpg")})
    best_accuracy = 0
    for epoch in range(1, 4):
        test_accuracy = 0.5 + 0.1 * epoch
        if test_accuracy > best_accuracy:
            wandb.run.summary["best_accuracy"] = test_accuracy
            best_accuracy = test_accuracy
        wandb.log({"epoch": epoch, "val_acc": test_accuracy, "batch": epoch * 10})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", default="runs", help="runs root folder (default: ./runs)")
    parser.add_argument("--id", default=None, help="run id (default: random)")
    args = parser.parse_args()
    run_id = log_everything(args.dir, args.id)
    print(f"logged run {run_id} under {args.dir}")


if __name__ == "__main__":
    main()

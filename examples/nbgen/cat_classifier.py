"""examples/cat_classifier.ipynb: train the course's cat model, plot the cost, look at its mistakes."""

from . import REPOSITORY_CELL

CELLS = [
    (
        "md",
        """
# The cat / non-cat classifier

The course's deep model `[12288 → 20 → 7 → 5 → 1]` trained on its 209 pictures with full-batch gradient
descent (lr 0.0075), as `python -m models.cat train` does. The data is read from `$TINYGRAD_NP_DATA` (a
folder with `train_catvnoncat.h5` and `test_catvnoncat.h5`), else the user cache, else a verified download.

**In CI** (when the environment variable `CI` is set) the notebook trains 300 iterations instead of the
course's 2500 so that it runs in a few seconds; the accuracies are then lower than the course's
206/209 and 40/50.
""",
    ),
    REPOSITORY_CELL,
    (
        "code",
        """
import os
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import tinygrad_np as tnp
from models.cat import deep_model, predict_proba
from models.cat.train import train_full_batch
from tinygrad_np.data.datasets import load_dataset, load_image, to_features

ITERATIONS = 300 if os.environ.get("CI") else 2500
data = load_dataset()
print(data.source, data.x_train.shape, data.x_test.shape, data.classes)
print("cats in train:", int(data.y_train.sum()), "of", len(data.y_train),
      "| in test:", int(data.y_test.sum()), "of", len(data.y_test))
""",
    ),
    ("md", "## A few training pictures"),
    (
        "code",
        """
fig, axes = plt.subplots(1, 6, figsize=(12, 2.4))
for ax, i in zip(axes, range(6)):
    ax.imshow(data.images_train[i]); ax.axis("off")
    ax.set_title(data.classes[int(data.y_train[i, 0])])
plt.show()
""",
    ),
    ("md", "## Train: the course's init (`np.random.seed(1)`, randn / √fan_in) and recipe"),
    (
        "code",
        """
model = deep_model(init="course", seed=1)
print(model.summary())
costs = train_full_batch(model, data.x_train, data.y_train, iterations=ITERATIONS, lr=0.0075)
if ITERATIONS == 2500:  # the course's published cost after iteration 0 and 2400
    assert abs(costs[0] - 0.7717493284237686) < 1e-9 and abs(costs[2400] - 0.09287821526472395) < 1e-9
""",
    ),
    (
        "code",
        """
plt.plot(costs)
plt.xlabel("iteration"); plt.ylabel("cost"); plt.title("Learning rate = 0.0075")
plt.show()
p_train, p_test = predict_proba(model, data.x_train), predict_proba(model, data.x_test)
for split, p, y in (("train", p_train, data.y_train), ("test", p_test, data.y_test)):
    print(f"{split} accuracy: {tnp.metrics.accuracy(y, p):.4f}")
""",
    ),
    ("md", "## Mislabelled test pictures"),
    (
        "code",
        """
wrong = np.flatnonzero((p_test[:, 0] > 0.5) != (data.y_test[:, 0] > 0.5))
print(len(wrong), "test pictures are mislabelled:", [data.names_test[i] for i in wrong])
shown = wrong[:10]
fig, axes = plt.subplots(1, max(len(shown), 1), figsize=(2.2 * max(len(shown), 1), 2.8), squeeze=False)
for ax, i in zip(axes[0], shown):
    ax.imshow(data.images_test[i]); ax.axis("off")
    ax.set_title(f"predicted {data.classes[int(p_test[i, 0] > 0.5)]}\\n"
                 f"is {data.classes[int(data.y_test[i, 0])]}\\nP(cat) = {p_test[i, 0]:.2f}", fontsize=8)
plt.show()
""",
    ),
    (
        "md",
        """
## Your own photo

Put the path of your photo in `MY_PHOTO`. The notebook itself uses a test picture written to a PNG file,
so that it runs anywhere; `load_image` reads any JPEG or PNG, squeezes it to 64×64 (bicubic, as the course's
`Image.resize`) and the model sees what you see below. A model trained on 209 thumbnails is a lesson, not a
cat detector: expect confident mistakes on photos unlike its training pictures.
""",
    ),
    (
        "code",
        """
from PIL import Image

MY_PHOTO = Path(tempfile.mkdtemp()) / "my_photo.png"
Image.fromarray(data.images_test[1]).save(MY_PHOTO)   # replace with the path of your own photo

image = load_image(MY_PHOTO)
p = float(predict_proba(model, to_features(image[None]))[0, 0])
plt.imshow(image); plt.axis("off")
plt.title(f"You predicted: {data.classes[int(p > 0.5)]} (P = {p:.2f})")
plt.show()
""",
    ),
]

"""Package-level promises: no server import, a usable public API."""

from __future__ import annotations

import ast
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

import printers
from printers.layouts import build_label
from printers.model import TextElement
from printers.raster import render_elements
from tests.printers.conftest import sample_data

PACKAGE = Path(printers.__file__).parent
COMMON_HANZI = "黄瓜西红柿茄子辣椒白菜萝卜土豆苹果梨桃葡萄草莓猕猴桃鸡蛋猪牛羊肉大米小麦玉米花生"


def test_printers_never_imports_the_server_package() -> None:
    """A kiosk runs printers/ without traceability installed."""
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] == "traceability"]
    assert offenders == []


def test_public_api_names_exist() -> None:
    for name in printers.__all__:
        assert hasattr(printers, name), name


@settings(max_examples=40, deadline=None)
@given(st.text(alphabet=COMMON_HANZI + "0123456789 kg", min_size=1, max_size=10))
def test_any_short_product_name_fits_the_item_label_without_clipping(product: str) -> None:
    label = build_label("item-40x30", sample_data(product=product.strip() or "瓜"))
    element = label.element("product")
    assert isinstance(element, TextElement)
    image = render_elements(label.media, [element]).convert("L")
    bbox = image.point(lambda v: 255 - v).getbbox()
    assert bbox is not None
    box = element.box
    assert box.x <= bbox[0] and bbox[2] <= box.right and box.y <= bbox[1] and bbox[3] <= box.bottom

"""The producer card (生产者卡): a printable card whose QR signs the producer in at a kiosk.

The QR holds only a random card code, never the ID number: a lost card is useless
without the PIN, and a new PIN can be set without printing a new card.
"""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

from printers.fonts import font_chain
from traceability.codes import qr_matrix
from traceability.kiosk.signin import card_url
from traceability.models import Producer
from traceability.models.producer_credential import ProducerCredential

CARD_SIZE = (1011, 638)  # ISO/IEC 7810 ID-1 (85.6 × 54 mm) at 300 dpi


def render_card_png(producer: Producer, credential: ProducerCredential, base_url: str) -> bytes:
    image = Image.new("1", CARD_SIZE, 1)
    draw = ImageDraw.Draw(image)
    title, body = font_chain(64), font_chain(44)
    title.draw(draw, 48, 40, "生产者卡")
    body.draw(draw, 48, 150, producer.name[:12])
    body.draw(draw, 48, 230, f"编号 No. {producer.id}")
    body.draw(draw, 48, 310, "合格证智能机刷卡登录")
    body.draw(draw, 48, 380, "Kiosk sign-in card")
    matrix = qr_matrix(card_url(base_url, credential), border=4)
    module = 440 // len(matrix)
    left, top = CARD_SIZE[0] - 48 - module * len(matrix), (CARD_SIZE[1] - module * len(matrix)) // 2
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                draw.rectangle(
                    (
                        left + x * module,
                        top + y * module,
                        left + (x + 1) * module - 1,
                        top + (y + 1) * module - 1,
                    ),
                    fill=0,
                )
    out = io.BytesIO()
    image.save(out, format="PNG", dpi=(300, 300))
    return out.getvalue()

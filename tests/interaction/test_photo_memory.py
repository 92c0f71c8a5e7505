"""A photo upload's memory: a few hundred KB declaring tens of megapixels is refused before
it is decoded, and the costliest image accepted (at the pixel ceiling, with transparency)
keeps a worker under its ceiling. Measured in a fresh process that has loaded the
application, as bench/photo_memory.py does (docs/performance.md, "Photo uploads")."""

import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

from photo_memory import GOAL_MIB, measure, write_png  # noqa: E402


def test_a_tiny_png_declaring_80_megapixels_is_refused_before_it_is_decoded(tmp_path):
    attack = tmp_path / "attack.png"
    write_png(attack, 8944, 8944, zeros=True)  # RGBA
    assert attack.stat().st_size < 400 * 1024
    result = measure(attack)
    assert result.get("refused") == "image_too_large"
    assert result["peak_mib"] - result["baseline_mib"] < 20


def test_the_costliest_photo_accepted_keeps_the_worker_under_its_memory_ceiling(tmp_path):
    from dangjian.interaction.images import pixel_limit

    side = int(pixel_limit("png", "RGBA", {}, settings.PHOTO_POLICY) ** 0.5)
    worst = tmp_path / "worst.png"
    write_png(worst, side, side)  # RGBA at its ceiling: the most memory per decoded pixel
    result = measure(worst)
    assert result.get("accepted") == [settings.PHOTO_POLICY["max_edge_px"]] * 2
    assert result["peak_mib"] < GOAL_MIB
